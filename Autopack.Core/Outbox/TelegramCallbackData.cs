using System.Text;

namespace Autopack.Core.Outbox;

/// <summary>
/// Approve/Reject button payloads: <c>a:&lt;approval id&gt;</c> or <c>r:&lt;approval id&gt;</c>. Telegram allows
/// 64 bytes of callback data; approval ids are 28 characters, so this always fits.
/// </summary>
public static class TelegramCallbackData
{
    public const int MaxBytes = 64;

    public static string Encode(string approvalId, bool approve)
    {
        var data = (approve ? "a:" : "r:") + approvalId;
        if (Encoding.UTF8.GetByteCount(data) > MaxBytes) throw new ArgumentException($"Callback data for '{approvalId}' exceeds {MaxBytes} bytes.");
        return data;
    }

    public static bool TryParse(string? data, out string approvalId, out bool approve)
    {
        approvalId = "";
        approve = false;
        if (data is null || data.Length < 3 || data[1] != ':' || data[0] is not ('a' or 'r')) return false;
        approve = data[0] == 'a';
        approvalId = data[2..];
        return approvalId.StartsWith("apr_", StringComparison.Ordinal) && approvalId.Length <= 40;
    }
}
