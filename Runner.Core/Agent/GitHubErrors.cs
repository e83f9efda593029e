using System.Net;
using Octokit;
using Runner.Core.Queue;

namespace Runner.Core.Agent;

/// <summary>Classifies GitHub failures the agent can work around (a missing file, a repository it may not read).</summary>
internal static class GitHubErrors
{
    public static bool IsNotFound(Exception exception) => Any(exception, e => e is NotFoundException
        || e is ApiException { StatusCode: HttpStatusCode.NotFound });

    /// <summary>Not found, forbidden (but not rate limited) or rejected: asking again will not help.</summary>
    public static bool IsNoAccess(Exception exception) => Any(exception, e => e switch
    {
        RateLimitExceededException or SecondaryRateLimitExceededException or AbuseException => false,
        NotFoundException or ForbiddenException or ApiValidationException or PermanentJobException => true,
        ApiException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity } => true,
        _ => false,
    });

    private static bool Any(Exception exception, Func<Exception, bool> predicate)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (predicate(current))
            {
                return true;
            }
        }

        return false;
    }
}
