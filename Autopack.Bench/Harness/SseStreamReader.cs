using System.Net.Sockets;
using System.Text;

namespace Autopack.Bench.Harness;

/// <summary>
/// One event stream read off a plain socket: the GET request written by hand, the response scanned line by line for the
/// two lines the SSE bench counts. At 10,000 streams the load generator shares the API's two cores, and HttpClient with a
/// StreamReader per stream cost more per event than the API's fan-out it measures; this reader only receives and scans.
/// </summary>
public static class SseStreamReader
{
    private static readonly byte[] Connected = ": connected"u8.ToArray();
    private static readonly byte[] Tick = "data: {\"tick\":"u8.ToArray();

    /// <summary>Reads until <paramref name="ct"/> fires or the server closes; calls back on ": connected" and on each tick's number.</summary>
    public static async Task ReadAsync(Uri baseUrl, string path, string apiKey, Action onConnected, Action<int> onTick, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(baseUrl.Host, baseUrl.Port, ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET {path} HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nX-API-Key: {apiKey}\r\nAccept: text/event-stream\r\n\r\n"), ct);
        var buffer = new byte[4096];
        var kept = 0;
        var statusChecked = false;
        try
        {
            while (true)
            {
                if (kept == buffer.Length) kept = 0; // a line longer than the buffer is none of the two we look for
                var n = await socket.ReceiveAsync(buffer.AsMemory(kept), ct);
                if (n == 0) return;
                var data = buffer.AsSpan(0, kept + n);
                if (!statusChecked)
                {
                    if (!data.StartsWith("HTTP/1.1 200"u8)) throw new HttpRequestException($"stream refused: {Encoding.ASCII.GetString(data[..Math.Min(data.Length, 200)])}");
                    statusChecked = true;
                }
                int newline;
                while ((newline = data.IndexOf((byte)'\n')) >= 0)
                {
                    var line = data[..newline];
                    if (line.StartsWith(Tick))
                    {
                        var digits = line[Tick.Length..];
                        var end = digits.IndexOf((byte)'}');
                        onTick(int.Parse(end < 0 ? digits : digits[..end]));
                    }
                    else if (line.SequenceEqual(Connected)) onConnected();
                    data = data[(newline + 1)..];
                }
                data.CopyTo(buffer);
                kept = data.Length;
            }
        }
        catch (OperationCanceledException) { }
    }
}
