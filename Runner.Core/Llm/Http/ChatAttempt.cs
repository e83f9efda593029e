using System.Net.Http.Headers;
using System.Text.Json;
using Runner.Core.Llm.Wire;

namespace Runner.Core.Llm.Http;

/// <summary>
/// One HTTP attempt of a chat call: sends the request, streams the answer under the silence watchdog and turns
/// every way it can fail into an <see cref="AttemptFailure"/>. Cancellation by the caller (or by the total
/// deadline) is not a failure of the attempt: it propagates.
/// </summary>
internal sealed class ChatAttempt(LlmEndpoint endpoint, IWireFormat wire, TimeProvider time, TimeSpan silenceTimeout)
{
    public async Task<AttemptOutcome> RunAsync(HttpClient http, string apiKey, byte[] body, CancellationToken cancellationToken)
    {
        using var watchdog = new SilenceWatchdog(time, silenceTimeout, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.ChatUri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(wire.StreamMediaType));
        WatchedStream? stream = null;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watchdog.Token);
            watchdog.Kick();
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var reason = await ErrorResponse.ReadReasonAsync(response.Content, watchdog.Token);
                var description = $"status {status} {response.ReasonPhrase}".TrimEnd() + (reason.Length > 0 ? $": {reason}" : string.Empty);
                return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.Status, description, status, reason,
                    ErrorResponse.RetryAfter(response.Headers, time.GetUtcNow())));
            }

            stream = new WatchedStream(await response.Content.ReadAsStreamAsync(watchdog.Token), watchdog);
            await using (stream)
            {
                return AttemptOutcome.Success(await wire.ReadAnswerAsync(stream, watchdog.Token));
            }
        }
        catch (Exception exception) when (watchdog.TimedOut && !cancellationToken.IsCancellationRequested)
        {
            var where = stream is { Reads: > 0 } ? $"after {stream.Reads} chunk(s)" : "before the first byte";
            return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.Timeout,
                $"timeout: no data for {silenceTimeout.TotalSeconds:0.###} s {where}", Exception: exception));
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.Network,
                $"{exception.GetType().Name} ({exception.HttpRequestError}): {Innermost(exception)}", Exception: exception));
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.StreamCut,
                $"stream cut after {stream?.Reads ?? 0} chunk(s): {exception.GetType().Name}: {Innermost(exception)}", Exception: exception));
        }
        catch (LlmStreamException exception)
        {
            return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.StreamCut, exception.Message, Exception: exception));
        }
        catch (JsonException exception)
        {
            return AttemptOutcome.Failed(new AttemptFailure(AttemptFailureKind.StreamCut,
                $"malformed stream chunk: {exception.Message}", Exception: exception));
        }
    }

    /// <summary>The root cause's text ("Connection refused"), which the wrappers' generic messages hide.</summary>
    private static string Innermost(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, exception) || exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? exception.Message
            : $"{exception.Message} ({inner.Message})";
    }
}
