using System.Buffers.Text;
using System.ComponentModel;
using System.Text;

namespace SomaAgent.Registry.Storage;

/// <summary>One page of a list, as every list of the platform answers.</summary>
public sealed record Page<T>(
    IReadOnlyList<T> Data,
    [property: Description("Pass as `cursor` for the next page; null on the last page.")] string? NextCursor);

/// <summary>
/// Where a page ends: the sort key of its last row, opaque to clients (base64url of the key's parts joined by a
/// separator no part contains).
/// </summary>
public static class PageCursor
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    private const char Separator = '\u001f';

    // Marks a cursor as one of ours, so a value a client made up is refused rather than read as a position.
    private const string Mark = "c1";

    public static string Encode(params string[] parts) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Mark + Separator + string.Join(Separator, parts)));

    /// <summary>The key's parts, or null when <paramref name="cursor"/> is not one <see cref="Encode"/> made with <paramref name="count"/> parts.</summary>
    public static string[]? Decode(string cursor, int count)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (cursor.Length is 0 or > 512)
        {
            return null;
        }
        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(Separator);
            return parts.Length == count + 1 && parts[0] == Mark ? parts[1..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The <c>limit</c> and <c>cursor</c> query of a list, checked; <paramref name="error"/> says what is wrong with them.</summary>
    public static bool TryRead(int? limit, string? cursor, int parts, out int size, out string[]? position, out (string Field, string Message) error)
    {
        size = limit ?? DefaultLimit;
        position = null;
        error = default;
        if (size is < 1 or > MaxLimit)
        {
            error = ("limit", $"limit must be between 1 and {MaxLimit}, got {size}.");
            return false;
        }
        if (cursor is not null && (position = Decode(cursor, parts)) is null)
        {
            error = ("cursor", "cursor is not one this API issued; pass the next_cursor of the previous page unchanged.");
            return false;
        }
        return true;
    }
}
