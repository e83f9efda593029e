
namespace Runner.Core.Llm;

/// <summary>Which wire format the LLM server speaks.</summary>
public enum LlmApiFormat
{
    /// <summary>Ollama's own API: <c>POST {url}/chat</c>, NDJSON stream, <c>GET {url}/tags</c>.</summary>
    Native,

    /// <summary>OpenAI-compatible API: <c>POST {url}/chat/completions</c>, SSE stream, <c>GET {url}/models</c>.</summary>
    OpenAi,
}

/// <summary>
/// The resolved LLM endpoint: base URL, format and the concrete URLs. A URL ending in <c>/api</c> is native, one
/// ending in <c>/v1</c> is OpenAI-compatible; <c>OLLAMA_API_FORMAT</c> overrides the guess.
/// </summary>
public sealed class LlmEndpoint
{
    private LlmEndpoint(Uri baseUri, LlmApiFormat format)
    {
        BaseUri = baseUri;
        Format = format;
        ChatUri = new Uri(baseUri + (format == LlmApiFormat.Native ? "/chat" : "/chat/completions"));
        ModelsUri = new Uri(baseUri + (format == LlmApiFormat.Native ? "/tags" : "/models"));
    }

    /// <summary>The API base without a trailing slash, e.g. <c>https://ollama.com/api</c>.</summary>
    public Uri BaseUri { get; }

    public LlmApiFormat Format { get; }

    public Uri ChatUri { get; }

    public Uri ModelsUri { get; }

    public static LlmEndpoint Create(LlmOptions options) =>
        TryCreate(options.ApiUrl, options.ApiFormat, out var endpoint, out var error)
            ? endpoint
            : throw new InvalidOperationException(error);

    /// <summary>Resolves the endpoint. Errors name the variable and never repeat the URL (it may carry credentials).</summary>
    public static bool TryCreate(string? url, string? format, out LlmEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(url)
            || !Uri.TryCreate(url.Trim().TrimEnd('/'), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https"))
        {
            error = $"{LlmOptions.ApiUrlVariable} must be an absolute http(s) URL such as {LlmOptions.DefaultApiUrl} or http://localhost:11434/v1";
            return false;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/chat", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith("/chat/completions", StringComparison.OrdinalIgnoreCase))
        {
            error = $"{LlmOptions.ApiUrlVariable} must be the API base ending in /api (Ollama native) or /v1 (OpenAI-compatible), "
                + "not a chat endpoint: drop the trailing /chat or /chat/completions";
            return false;
        }

        LlmApiFormat resolved;
        if (!string.IsNullOrWhiteSpace(format))
        {
            switch (format.Trim().ToLowerInvariant())
            {
                case "native" or "ollama":
                    resolved = LlmApiFormat.Native;
                    break;
                case "openai":
                    resolved = LlmApiFormat.OpenAi;
                    break;
                default:
                    error = $"{LlmOptions.ApiFormatVariable} must be native or openai";
                    return false;
            }
        }
        else if (path.EndsWith("/api", StringComparison.OrdinalIgnoreCase))
        {
            resolved = LlmApiFormat.Native;
        }
        else if (path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            resolved = LlmApiFormat.OpenAi;
        }
        else
        {
            error = $"{LlmOptions.ApiUrlVariable} does not end in /api (Ollama native) or /v1 (OpenAI-compatible): "
                + $"fix it or set {LlmOptions.ApiFormatVariable}=native or openai";
            return false;
        }

        var baseUri = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        endpoint = new LlmEndpoint(baseUri, resolved);
        return true;
    }

    /// <summary>A URL safe to print: user info (credentials) removed.</summary>
    public static string Display(Uri uri) =>
        uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
