using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

using Runner.Core.Redis;

namespace Runner.Core.Configuration;

public sealed class RedisOptions
{
    [ConfigurationKeyName(RedisUrl.Variable)]
    public string Url { get; set; } = "localhost:6379";
}

internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options) =>
        RedisUrl.TryParse(options.Url, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error);
}
