using System.Text;

namespace SomaAgent.Client.Sessions;

/// <summary>
/// Reads a <c>text/event-stream</c> message by message (the <c>data</c> lines; comments such as <c>: keep-alive</c>
/// are skipped). A connection that drops is reported, not thrown, so the caller can resume.
/// </summary>
internal sealed class ServerSentEventReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The next message's data; null data at the end of the stream; <c>Dropped</c> when the connection broke.</summary>
    public async Task<(string? Data, Exception? Dropped)> TryReadAsync(CancellationToken cancellationToken)
    {
        var data = new StringBuilder();
        try
        {
            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        return (data.ToString(), null);
                    }
                    continue;
                }
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (data.Length > 0)
                    {
                        data.Append('\n');
                    }
                    data.Append(line.AsSpan(line.Length > 5 && line[5] == ' ' ? 6 : 5));
                }
            }
            // A stream that ends in the middle of a message was cut off.
            return data.Length > 0 ? (null, new IOException("The event stream ended in the middle of a message.")) : (null, null);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (null, ex);
        }
    }

    public void Dispose() => _reader.Dispose();
}
