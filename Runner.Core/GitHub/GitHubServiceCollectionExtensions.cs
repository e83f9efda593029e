using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Runner.Core.GitHub;

public static class GitHubServiceCollectionExtensions
{
    public static IServiceCollection AddRunnerGitHub(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}
