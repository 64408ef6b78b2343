using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Autopack.Bench.Harness;

/// <summary>
/// The SSE fan-out floor: the least a server can do to put one small frame on every open stream, in its own process (this
/// program's hidden <c>sse-floor-server</c> verb). It answers any GET with a 200 and <c>: connected</c>, keeps the
/// socket, and on <c>POST /tick/N</c> writes the tick's frame to every kept socket, each core's share in one loop of
/// plain <c>Send</c> calls: no database, no channels, no HTTP pipeline. The same readers measure it as they measure
/// the API, so the ratio says what Autopack adds above sends and receives on this machine.
/// </summary>
public static class SseFloorServer
{
    public const string Verb = "sse-floor-server";

    private static readonly byte[] Accepted =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n: connected\n\n"u8.ToArray();
    private static readonly byte[] Done = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"u8.ToArray();

    public static async Task<int> RunAsync(string url)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, new Uri(url).Port));
        listener.Listen(512); // as Kestrel's default backlog
        var streams = new HashSet<Socket>();
        while (true)
        {
            var socket = await listener.AcceptAsync();
            socket.NoDelay = true;
            _ = Task.Run(async () =>
            {
                var request = await ReadRequestLineAsync(socket);
                if (request.StartsWith("POST /tick/", StringComparison.Ordinal))
                {
                    var tick = int.Parse(request["POST /tick/".Length..].Split(' ')[0]);
                    Socket[] targets;
                    lock (streams) targets = [.. streams];
                    FanOut(targets, Encoding.ASCII.GetBytes($"id: {tick + 1}\nevent: bench.tick\ndata: {{\"tick\":{tick}}}\n\n"));
                    socket.Send(Done);
                    socket.Close();
                    return;
                }
                socket.Send(Accepted);
                lock (streams) streams.Add(socket);
                // Readers send nothing more: a receive ends when one closes, and the next round writes only to open streams.
                try { await socket.ReceiveAsync(new byte[1].AsMemory()); } catch (SocketException) { }
                lock (streams) streams.Remove(socket);
                socket.Dispose();
            });
        }
    }

    /// <summary>Starts the floor server in its own process; a tick with no streams yet is answered once it is up.</summary>
    public static Task<BaselineProcess> StartAsync() =>
        BaselineProcess.StartAsync(Verb, url => new HttpRequestMessage(HttpMethod.Post, url + "/tick/0"));

    private static void FanOut(Socket[] targets, byte[] frame) =>
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            for (var i = part; i < targets.Length; i += Environment.ProcessorCount)
            {
                try { targets[i].Send(frame); }
                catch (SocketException) { } // a reader that left
            }
        });

    private static async Task<string> ReadRequestLineAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(length));
            if (n == 0) break;
            length += n;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0) break;
        }
        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}
