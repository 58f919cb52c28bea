// The bodies (KvDb.Contracts' ListAppendRequestJson / ListAppendItemJson) and queries of list
// requests, checked before anything is proposed or read.
//   append:  {"items": [{"value": "text" | "valueBase64": "...", "nonce": 7, "timestamp": 1700000000000}]}
//            or the same item objects as NDJSON (Content-Type: application/x-ndjson)
//   page:    order=forward|backward, limit (1..1000, default 100), one of startOffset=,
//            startTimestamp=, startNonce= or continuation=, consistency=, follow=true
// Nonces are whole numbers from 0 to 2^128 - 1 (a JSON number or a string of digits).
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using KvDb.Contracts;
using KvDb.Core.Lists;
using KvDb.Node.HttpKit;

namespace KvDb.Node.Lists;

/// <summary>Parses append bodies.</summary>
public static class ListItemsRequest
{
    /// <summary>The most items one append takes.</summary>
    public const int MaxItems = 10_000;

    /// <summary>The items, or a message for a 400.</summary>
    public static (AppendItem[]? Items, string? Error) Parse(byte[] body, bool ndjson)
    {
        var elements = new List<ListAppendItemJson?>();
        try
        {
            if (ndjson)
            {
                foreach (var line in Encoding.UTF8.GetString(body).Split('\n'))
                {
                    if (line.Trim().Length == 0)
                        continue;
                    try
                    {
                        elements.Add(ContractJson.Read(line, KvDbJsonContext.Default.ListAppendItemJson));
                    }
                    catch (ContractFormatException e) when (!e.NotJson)
                    {
                        return (null, Misfit(elements.Count, e.Path, e));
                    }
                }
            }
            else
            {
                var request = ContractJson.Read(body, KvDbJsonContext.Default.ListAppendRequestJson);
                if (request.Items is null)
                    return (null, NotItems);
                elements.AddRange(request.Items);
            }
        }
        catch (ContractFormatException e) when (e.NotJson)
        {
            return (null, $"The body is not valid JSON: {e.Message}");
        }
        catch (ContractFormatException e) when (ItemIndex(e.Path) is { } at)
        {
            return (null, Misfit(at.Index, at.Field, e));
        }
        catch (ContractFormatException)
        {
            return (null, NotItems);
        }

        if (elements.Count is 0 or > MaxItems)
            return (null, $"An append has 1 to {MaxItems} items.");
        var parsed = new AppendItem[elements.Count];
        for (var i = 0; i < parsed.Length; i++)
        {
            var (item, error) = ParseItem(elements[i], i);
            if (item is null)
                return (null, error);
            parsed[i] = item;
        }

        return (parsed, null);
    }

    private const string NotItems = "The body is {\"items\": [...]} (or NDJSON items with Content-Type: application/x-ndjson).";

    // "items[3].nonce" as (3, "nonce"); null for a path outside the items.
    private static (int Index, string Field)? ItemIndex(string path)
    {
        var end = path.IndexOf(']');
        if (!path.StartsWith("items[", StringComparison.Ordinal) || end < 0
            || !int.TryParse(path.AsSpan(6, end - 6), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return null;
        return (index, path[(end + 1)..].TrimStart('.'));
    }

    // What is wrong with item `index` whose `field` has the wrong type ("" for the item itself).
    private static string Misfit(int index, string field, ContractFormatException e) => field switch
    {
        "" => $"Item {index} is not an object.",
        "nonce" => NonceError(index),
        "timestamp" => TimestampError(index),
        "valueBase64" => $"Item {index}'s valueBase64 is not base64.",
        _ => $"Item {index}'s {field} {e.Reason}.",
    };

    private static string NonceError(int index) => $"Item {index}'s nonce must be a whole number from 0 to 2^128 - 1.";

    private static string TimestampError(int index) => $"Item {index}'s timestamp must be Unix milliseconds (a whole number, 0 or more).";

    private static (AppendItem? Item, string? Error) ParseItem(ListAppendItemJson? element, int index)
    {
        if (element is null)
            return (null, $"Item {index} is not an object.");
        byte[] value;
        if (element.Value is { } text)
        {
            value = Encoding.UTF8.GetBytes(text);
        }
        else if (element.ValueBase64 is { } bytes)
        {
            value = bytes;
        }
        else
        {
            return (null, $"Item {index} needs \"value\" (text) or \"valueBase64\".");
        }

        if (element.Timestamp is < 0)
            return (null, TimestampError(index));
        return (new AppendItem { Value = value, Nonce = element.Nonce is { } nonce ? Nonce.Bytes(nonce) : null, TimestampMs = element.Timestamp }, null);
    }
}

/// <summary>128-bit nonces.</summary>
public static class Nonce
{
    private static readonly BigInteger Max = (BigInteger.One << 128) - 1;

    /// <summary>The 16-byte big-endian form of decimal <paramref name="digits"/>, or null when they are not 0..2^128-1.</summary>
    public static byte[]? Parse(string digits)
    {
        if (digits.Length is 0 or > 39 || !digits.All(char.IsAsciiDigit) || !BigInteger.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > Max)
            return null;
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var nonce = new byte[16];
        bytes.CopyTo(nonce, 16 - bytes.Length);
        return nonce;
    }

    /// <summary>The 16-byte big-endian form of <paramref name="nonce"/>.</summary>
    public static byte[] Bytes(UInt128 nonce)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, nonce);
        return bytes;
    }

    /// <summary>The nonce big-endian <paramref name="bytes"/> hold.</summary>
    public static UInt128 Of(byte[] bytes) => (UInt128)new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
}

/// <summary>A parsed page request.</summary>
public sealed record ListPageRequest(bool Forward, int Limit, ListSeek Seek, long At, byte[]? Nonce, ReadConsistency Consistency, bool Follow)
{
    // The query parameters that say where a page starts; a request gives at most one.
    private static readonly string[] StartParameters = ["startOffset", "startTimestamp", "startNonce", "continuation"];

    /// <summary>Parses the query; an error message instead when it is wrong.</summary>
    public static (ListPageRequest? Request, string? Error) Parse(HttpRequest request)
    {
        var query = request.Query;
        var order = query["order"].ToString();
        if (order is not ("" or "forward" or "backward"))
            return (null, "order must be forward or backward.");
        var forward = order != "backward";
        var limit = 100;
        if (query["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > ListEndpoints.MaxLimit))
            return (null, $"limit must be from 1 to {ListEndpoints.MaxLimit} (default 100).");
        if (!KvService.TryParseConsistency(query["consistency"], out var consistency))
            return (null, $"consistency must be {KvService.ConsistencyNames}.");
        var follow = query["follow"].ToString();
        if (follow is not ("" or "true" or "false"))
            return (null, "follow must be true or false.");

        var starts = StartParameters.Where(query.ContainsKey).ToList();
        if (starts.Count > 1)
            return (null, "Give at most one of startOffset, startTimestamp, startNonce and continuation.");
        var seek = ListSeek.Edge;
        long at = 0;
        byte[]? nonce = null;
        switch (starts.FirstOrDefault())
        {
            case "startOffset" when long.TryParse(query["startOffset"], NumberStyles.None, CultureInfo.InvariantCulture, out at):
                seek = ListSeek.Offset;
                break;
            case "startTimestamp" when long.TryParse(query["startTimestamp"], NumberStyles.None, CultureInfo.InvariantCulture, out at):
                seek = ListSeek.Timestamp;
                break;
            case "startNonce" when (nonce = Lists.Nonce.Parse(query["startNonce"].ToString())) is not null:
                seek = ListSeek.Nonce;
                break;
            case "continuation":
                var token = query["continuation"].ToString();
                if (token.Length < 2 || token[0] != (forward ? 'f' : 'b') || !long.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out at))
                    return (null, "continuation is not one this list's pages in this order gave.");
                seek = ListSeek.Offset;
                break;
            case null:
                break;
            default:
                return (null, $"{starts[0]} must be a whole number, 0 or more (nonces up to 2^128 - 1).");
        }

        return (new ListPageRequest(forward, limit, seek, at, nonce, consistency, follow == "true"), null);
    }
}
