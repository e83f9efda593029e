using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;


namespace Runner.Core.Redis;

/// <summary><c>REDIS_URL</c>: the Redis every replica shares.</summary>
public sealed class RedisOptions
{
    public const string DefaultUrl = "localhost:6379";

    [ConfigurationKeyName(RedisUrl.Variable)]
    public string Url { get; set; } = DefaultUrl;
}

internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options) =>
        RedisUrl.TryParse(options.Url, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error);
}
