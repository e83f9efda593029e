using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Runner.Core.Llm.Http;
using Runner.Core.Llm.Wire;

namespace Runner.Core.Llm;

/// <summary>Lists the models the configured server offers: <c>GET {url}/tags</c> (native) or <c>GET {url}/models</c> (OpenAI).</summary>
/// <remarks>An operator tool: one request bounded by <c>LLM_TIMEOUT</c>, no retries.</remarks>
public sealed class LlmModelCatalog
{
    private readonly IHttpClientFactory httpClients;
    private readonly LlmOptions options;

    public LlmModelCatalog(IHttpClientFactory httpClients, IOptions<LlmOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.httpClients = httpClients;
        this.options = options.Value;
        Endpoint = LlmEndpoint.Create(this.options);
    }

    public LlmEndpoint Endpoint { get; }

    /// <exception cref="LlmPermanentException">401/403/404 or another 4xx.</exception>
    /// <exception cref="LlmTransientException">A 5xx, 429, timeout or connection failure.</exception>
    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var url = LlmEndpoint.Display(Endpoint.ModelsUri);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, Endpoint.ModelsUri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        try
        {
            using var response = await httpClients.CreateClient(LlmClient.HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var reason = await ErrorResponse.ReadReasonAsync(response.Content, timeout.Token);
                var description = $"status {status} {response.ReasonPhrase}: {reason}";
                throw status switch
                {
                    401 => new LlmPermanentException(LlmFailureKind.Unauthorized, $"{url} refused the API key ({description}): check OLLAMA_API_KEY", status),
                    403 => new LlmPermanentException(LlmFailureKind.Forbidden, $"{url} refused the request ({description}): check OLLAMA_API_KEY", status),
                    _ when Retries.RetryPolicy.IsRetryable(status) => new LlmTransientException(LlmFailureKind.RetriesExhausted, $"{url} failed ({description})", 1, status),
                    _ => new LlmPermanentException(LlmFailureKind.Rejected, $"{url} failed ({description}): check OLLAMA_API_URL and OLLAMA_API_FORMAT", status),
                };
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
            return WireFormats.For(Endpoint.Format).ReadModels(document.RootElement);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LlmTransientException(LlmFailureKind.RetriesExhausted,
                $"{url} did not answer within {LlmOptions.TimeoutVariable} ({options.Timeout})", 1, innerException: exception);
        }
        catch (HttpRequestException exception)
        {
            throw new LlmTransientException(LlmFailureKind.RetriesExhausted,
                $"{url} could not be reached ({exception.HttpRequestError}: {exception.Message})", 1, innerException: exception);
        }
        catch (JsonException exception)
        {
            throw new LlmPermanentException(LlmFailureKind.Rejected,
                $"{url} did not answer with JSON: check OLLAMA_API_URL and OLLAMA_API_FORMAT", null, exception);
        }
    }
}
