using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Runner.Core.Queue;

public static class QueueServiceCollectionExtensions
{
    public static IServiceCollection AddRunnerQueue(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}
