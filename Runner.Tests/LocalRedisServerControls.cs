using Runner.Core.Redis;

namespace Runner.Tests;

/// <summary>
/// What only tests do to a <see cref="LocalRedisServer"/>: keep its data in an append-only file, kill it as a crash
/// or an outage would, and start it again on the same port. The sandbox needs none of it, so it does not ship.
/// </summary>
internal static class LocalRedisServerControls
{
    extension(LocalRedisServer server)
    {
        /// <summary>
        /// Starts a server that keeps an append-only file (fsync on every write) in a temporary directory, so a
        /// <c>KillAsync</c> + <c>RestartAsync</c> comes back with the data, as production Redis with AOF does.
        /// </summary>
        public static Task<LocalRedisServer> StartPersistentAsync(CancellationToken cancellationToken = default)
        {
            var directory = Directory.CreateTempSubdirectory("runner-redis-").FullName;
            return LocalRedisServer.StartAsync(
                ["--appendonly", "yes", "--appendfsync", "always", "--dir", directory],
                () => Directory.Delete(directory, recursive: true),
                cancellationToken);
        }

        /// <summary>Kills the server at once, as a crash or an outage would.</summary>
        public Task KillAsync() => server.StopProcessAsync();

        /// <summary>Starts <c>redis-server</c> again on the same port after <c>KillAsync</c>.</summary>
        public Task RestartAsync(CancellationToken cancellationToken = default) => server.StartProcessAsync(cancellationToken);
    }
}
