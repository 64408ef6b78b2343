using System.Text;
using Autopack.Core.Domain;

namespace Autopack.Api.Services;

/// <summary>
/// One Server-Sent Events frame as UTF-8 bytes, encoded once and shared by every stream it goes to: with 10,000 streams
/// of a run, formatting the frame per stream was 10,000 strings and encodings per event.
/// </summary>
public sealed class SseFrame
{
    /// <summary>The shared heartbeat comment (a proxy closes a connection that says nothing for too long).</summary>
    public static readonly SseFrame Ping = new(0, ": ping\n\n"u8.ToArray());

    public static readonly SseFrame Connected = new(0, ": connected\n\n"u8.ToArray());

    private SseFrame(long sequence, byte[] bytes) { Sequence = sequence; Bytes = bytes; }

    /// <summary>The run event's sequence; 0 for a comment.</summary>
    public long Sequence { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public bool IsComment => Sequence == 0;

    public static SseFrame From(RunEvent e) => new(e.Sequence, Encoding.UTF8.GetBytes($"id: {e.Sequence}\nevent: {e.Type}\ndata: {e.Payload}\n\n"));
}
