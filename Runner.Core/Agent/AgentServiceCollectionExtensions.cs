using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Runner.Core.Agent;

public static class AgentServiceCollectionExtensions
{
    public static IServiceCollection AddRunnerAgent(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services;
    }
}
