using System.Text;

namespace Autopack.Executor.Testing;

/// <summary>
/// A command's output kept as head + tail within a character budget while it is read (so 100 MB of output never
/// sits in memory), with a byte limit past which the command counts as flooding and is stopped.
/// </summary>
public sealed class OutputCapture(int maxChars, long maxBytes)
{
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private readonly int _headChars = maxChars / 4;
    private readonly int _tailChars = maxChars - maxChars / 4;
    private readonly TaskCompletionSource _flooded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private long _omitted;

    /// <summary>Completes when more than the byte limit was read.</summary>
    public Task Flooded => _flooded.Task;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Reads <paramref name="stream"/> to its end (or until flooding), in chunks; stdout and stderr interleave by chunk.</summary>
    public async Task ReadAsync(Stream stream)
    {
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                var count = decoder.GetChars(buffer, 0, n, chars, 0);
                Append(chars.AsSpan(0, count));
                if (Interlocked.Add(ref _bytes, n) > maxBytes)
                {
                    _flooded.TrySetResult();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { } // the process was killed and its pipe closed
    }

    private void Append(ReadOnlySpan<char> text)
    {
        lock (_head)
        {
            var toHead = Math.Min(text.Length, _headChars - _head.Length);
            if (toHead > 0)
            {
                _head.Append(text[..toHead]);
                text = text[toHead..];
            }
            _tail.Append(text);
            if (_tail.Length > _tailChars * 2)
            {
                var cut = _tail.Length - _tailChars;
                _omitted += cut;
                _tail.Remove(0, cut);
            }
        }
    }

    /// <summary>Head, a marker for what was left out, tail; at most about maxChars characters.</summary>
    public string Text()
    {
        lock (_head)
        {
            var omitted = _omitted;
            var tail = _tail.ToString();
            if (tail.Length > _tailChars)
            {
                omitted += tail.Length - _tailChars;
                tail = tail[^_tailChars..];
            }
            return omitted == 0 ? _head + tail : _head + $"\n[... {omitted} characters omitted ...]\n" + tail;
        }
    }
}
