// kvdb s2 basin|stream create|ls|rm, kvdb s2 append|read|tail: kvdb's S2 streams API
// (docs/api/s2-streams.md) from the command line, through KvClient's S2 calls.
// Invariants:
//  - Stream and record commands need --basin; a basin or stream that exists (create) or does
//    not (rm) exits 1, like kvdb list keyspace.
//  - append sends its VALUEs, or else each line of stdin, as records, in batches of at most
//    1,000 (one log entry each); with --match-seq-num each batch must land where the one before
//    ended, so a run of batches is gapless and none is applied twice. It prints "START END"
//    (END exclusive) of what it appended.
//  - read prints "SEQ_NUM BODY" per record from --from (default 0) to the tail, or, with
//    --follow, on as records come until Ctrl+C (exit 0); a start past the tail exits 1.
using System.CommandLine;
using System.Globalization;
using System.Text;
using KvDb.Client;
using KvDb.Contracts;
using KvDb.Flags;

namespace KvDb.Cli.Verbs;

/// <summary>What the S2 verbs share.</summary>
internal static class S2Cli
{
    /// <summary>The --basin flag of stream and record commands.</summary>
    public static Flag<string?> BasinFlag() => new("basin", "BASIN", "none", "The S2 basin (kvdb s2 basin create NAME).", static text => text, defaultValue: static () => null);

    /// <summary>The basin given, or null after printing the usage error.</summary>
    public static string? Basin(ParseResult result, Flag<string?> flag, CliContext context, string verb)
    {
        if (result.GetValue(flag) is { Length: > 0 } basin)
            return basin;
        context.Fail(ExitCodes.Usage, $"kvdb {verb} needs --basin BASIN");
        return null;
    }

    /// <summary>A whole-number flag from 0 up.</summary>
    public static Flag<long?> Count(string name, string valueName, string defaultText, string summary)
        => new(name, valueName, defaultText, summary, text => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"--{name} '{text}' must be a whole number from 0"), defaultValue: static () => null);
}

/// <summary><c>kvdb s2 basin create|ls|rm</c>.</summary>
internal sealed class S2BasinVerb(string action) : CliVerb
{
    private readonly Argument<string?> name = Optional("NAME", action == "ls" ? "Only basins whose names start with this." : "The basin's name: 8 to 48 of a-z, 0-9 and '-'.");

    public override string Path => "s2 basin " + action;

    public override string Summary => action switch
    {
        "create" => "Create an S2 basin (a kvdb keyspace).",
        "rm" => "Delete an S2 basin and every stream in it.",
        _ => "List the S2 basins you may read.",
    };

    public override IReadOnlyList<string> Usage => action == "ls" ? ["s2 basin ls [PREFIX] [flags]", "s2 basin ls"] : [$"s2 basin {action} NAME [flags]", $"s2 basin {action} my-basin-1"];

    public override IReadOnlyList<string> Notes => [action switch
    {
        "create" => "Exit 1 when it already exists. Needs root when auth is on.",
        "rm" => "Exit 1 when it does not exist. Needs root when auth is on.",
        _ => "Text prints one name per line; -o json prints S2's listing {\"basins\":[{\"name\",\"created_at\",\"state\"}],\"has_more\":false}.",
    }];

    public override void Define(Command command) => command.Add(name);

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        var given = result.GetValue(name);
        if (action == "ls")
        {
            var basins = await context.Client.ListBasinsAsync(given, token).ToListAsync(token);
            if (context.Json)
                context.WriteJson(json => ContractJson.Write(json, new S2BasinListJson { Basins = basins, HasMore = false }, S2JsonContext.Default.S2BasinListJson));
            else
                basins.ForEach(b => context.WriteLine(b.Name));
            return ExitCodes.Ok;
        }

        if (string.IsNullOrEmpty(given))
            return context.Fail(ExitCodes.Usage, $"kvdb s2 basin {action} needs NAME");
        if (action == "create")
            return await context.Client.CreateBasinAsync(given, null, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"basin {given} already exists");
        return await context.Client.DeleteBasinAsync(given, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"basin {given} not found");
    }
}

/// <summary><c>kvdb s2 stream create|ls|rm --basin BASIN</c>.</summary>
internal sealed class S2StreamVerb(string action) : CliVerb
{
    private readonly Flag<string?> basin = S2Cli.BasinFlag();
    private readonly Argument<string?> name = Optional("NAME", action == "ls" ? "Only streams whose names start with this." : "The stream's name: 1 to 512 bytes of UTF-8.");

    public override string Path => "s2 stream " + action;

    public override string Summary => action switch
    {
        "create" => "Create a stream in an S2 basin.",
        "rm" => "Delete a stream and its records.",
        _ => "List the streams of an S2 basin you may read.",
    };

    public override IReadOnlyList<string> Usage => action == "ls"
        ? ["s2 stream ls --basin BASIN [PREFIX] [flags]", "s2 stream ls --basin my-basin-1"]
        : [$"s2 stream {action} --basin BASIN NAME [flags]", $"s2 stream {action} --basin my-basin-1 orders"];

    public override IReadOnlyList<string> Notes => [action switch
    {
        "create" => "Exit 1 when it already exists, or the basin does not. Needs write access to BASIN/NAME when auth is on.",
        "rm" => "Exit 1 when it does not exist. Needs write access to BASIN/NAME when auth is on.",
        _ => "Text prints one name per line; -o json prints S2's listing {\"streams\":[{\"name\",\"created_at\"}],\"has_more\":false}. A basin that does not exist lists nothing.",
    }];

    public override void Define(Command command)
    {
        command.Add(basin);
        command.Add(name);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        if (S2Cli.Basin(result, basin, context, Path) is not { } inBasin)
            return ExitCodes.Usage;
        var given = result.GetValue(name);
        if (action == "ls")
        {
            var streams = await context.Client.ListStreamsAsync(inBasin, given, token).ToListAsync(token);
            if (context.Json)
                context.WriteJson(json => ContractJson.Write(json, new S2StreamListJson { Streams = streams, HasMore = false }, S2JsonContext.Default.S2StreamListJson));
            else
                streams.ForEach(s => context.WriteLine(s.Name));
            return ExitCodes.Ok;
        }

        if (string.IsNullOrEmpty(given))
            return context.Fail(ExitCodes.Usage, $"kvdb s2 stream {action} needs NAME");
        if (action == "create")
            return await context.Client.CreateStreamAsync(inBasin, given, null, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"stream {given} already exists in basin {inBasin}");
        return await context.Client.DeleteStreamAsync(inBasin, given, token) ? ExitCodes.Ok : context.Fail(ExitCodes.NotFoundOrFailed, $"stream {given} not found in basin {inBasin}");
    }
}

/// <summary><c>kvdb s2 append --basin BASIN STREAM [VALUE...]</c>.</summary>
internal sealed class S2AppendVerb : CliVerb
{
    private const int MaxBatch = 1000;

    private readonly Flag<string?> basin = S2Cli.BasinFlag();
    private readonly Argument<string> stream = Required("STREAM", "The stream.");
    private readonly Argument<string[]> values = new("VALUE") { Description = "The records' bodies (text); without any, each line of stdin is one record.", Arity = ArgumentArity.ZeroOrMore };
    private readonly Flag<long?> matchSeqNum = S2Cli.Count("match-seq-num", "N", "none", "Append only if the stream's next sequence number is N (else exit 1, nothing appended); makes the append safe to retry.");
    private readonly Flag<string?> fencingToken = new("fencing-token", "TOKEN", "none", "Append only if the stream's fencing token is TOKEN (else exit 1, nothing appended).", static text => text, defaultValue: static () => null);

    public override string Path => "s2 append";

    public override string Summary => "Append records to an S2 stream and print their sequence numbers.";

    public override IReadOnlyList<string> Usage => ["s2 append --basin BASIN STREAM [VALUE...] [flags]", "s2 append --basin my-basin-1 orders \"order 1\" \"order 2\" --match-seq-num 0", "s2 append --basin my-basin-1 logs < app.log"];

    public override IReadOnlyList<string> Notes => [
        "Prints \"START END\": the first record's sequence number and the one after the last (-o json: S2's ack {\"start\",\"end\",\"tail\"}, one per batch of 1,000). A mismatched --match-seq-num or --fencing-token exits 1 and says what the stream has.",
        "Without --match-seq-num an append whose outcome is unknown (the member went away after it was sent) is not sent again, and exits 3: it may or may not have been applied. With it, the append is retried safely.",
    ];

    public override void Define(Command command)
    {
        command.Add(basin);
        command.Add(stream);
        command.Add(values);
        command.Add(matchSeqNum);
        command.Add(fencingToken);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        if (S2Cli.Basin(result, basin, context, Path) is not { } inBasin)
            return ExitCodes.Usage;
        var bodies = result.GetValue(values) is { Length: > 0 } given ? [.. given] : await ReadLinesAsync(context.Console.In, token);
        if (bodies.Count == 0)
            return context.Fail(ExitCodes.Usage, "kvdb s2 append needs VALUEs or lines on stdin");
        var target = result.GetRequiredValue(stream);
        var match = result.GetValue(matchSeqNum);
        long? start = null, end = null;
        foreach (var chunk in bodies.Chunk(MaxBatch))
        {
            var options = new S2AppendOptions { MatchSeqNum = match, FencingToken = result.GetValue(fencingToken) };
            var ack = await context.Client.AppendRecordsAsync(inBasin, target, chunk.Select(static b => new S2AppendRecord(b)), options, token);
            start ??= ack.Start.SeqNum;
            end = ack.End.SeqNum;
            match = match is null ? null : ack.End.SeqNum;
            if (context.Json)
                context.WriteJson(json => ContractJson.Write(json, ack, S2JsonContext.Default.S2AppendAckJson));
        }

        if (!context.Json)
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{start} {end}"));
        return ExitCodes.Ok;
    }

    private static async Task<List<string>> ReadLinesAsync(TextReader input, CancellationToken token)
    {
        var lines = new List<string>();
        while (await input.ReadLineAsync(token) is { } line)
            lines.Add(line);
        return lines;
    }
}

/// <summary><c>kvdb s2 read --basin BASIN STREAM</c>.</summary>
internal sealed class S2ReadVerb : CliVerb
{
    private readonly Flag<string?> basin = S2Cli.BasinFlag();
    private readonly Argument<string> stream = Required("STREAM", "The stream.");
    private readonly Flag<long?> from = S2Cli.Count("from", "SEQ_NUM", "0", "Start at this sequence number.");
    private readonly Flag<long?> count = S2Cli.Count("count", "N", "all", "Print at most N records.");
    private readonly Option<bool> follow = Switch("follow", "After the records, print each new record as it is appended, until Ctrl+C.");

    public override string Path => "s2 read";

    public override string Summary => "Print an S2 stream's records (--follow: and new ones as they come).";

    public override IReadOnlyList<string> Usage => ["s2 read --basin BASIN STREAM [flags]", "s2 read --basin my-basin-1 orders --from 100 --count 10", "s2 read --basin my-basin-1 orders --follow"];

    public override IReadOnlyList<string> Notes => ["Text prints \"SEQ_NUM BODY\" per record (-o json: one {\"seq_num\",\"timestamp\",\"headers\",\"body\"|\"body_base64\"} per line). Without --follow it stops at the tail; a start past the tail exits 1. --follow resumes on another member if its member goes, and ends with exit 0 on Ctrl+C."];

    public override void Define(Command command)
    {
        command.Add(basin);
        command.Add(stream);
        command.Add(from);
        command.Add(count);
        command.Add(follow);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        if (S2Cli.Basin(result, basin, context, Path) is not { } inBasin)
            return ExitCodes.Usage;
        var target = result.GetRequiredValue(stream);
        var next = result.GetValue(from) ?? 0;
        var left = result.GetValue(count) ?? long.MaxValue;
        if (left == 0)
            return ExitCodes.Ok;
        if (result.GetValue(follow))
        {
            try
            {
                await foreach (var record in context.Client.FollowRecordsAsync(inBasin, target, new S2ReadOptions { SeqNum = next }, token))
                {
                    Print(context, record);
                    if (--left == 0)
                        break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        }

        while (left > 0)
        {
            IReadOnlyList<S2StreamRecord> batch;
            try
            {
                batch = await context.Client.ReadRecordsAsync(inBasin, target, new S2ReadOptions { SeqNum = next, Count = Math.Min(left, 1000) }, token);
            }
            catch (S2RangeNotSatisfiableException e) when (e.Tail.SeqNum >= next)
            {
                // At the tail (or everything from `next` on was trimmed): all there is has been printed.
                break;
            }
            catch (S2RangeNotSatisfiableException e)
            {
                return context.Fail(ExitCodes.NotFoundOrFailed, string.Create(CultureInfo.InvariantCulture, $"--from {next} is past the stream's tail {e.Tail.SeqNum}"));
            }

            if (batch.Count == 0)
                break;
            foreach (var record in batch)
                Print(context, record);
            left -= batch.Count;
            next = batch[^1].SeqNum + 1;
        }

        return ExitCodes.Ok;
    }

    private static void Print(CliContext context, S2StreamRecord record)
    {
        if (!context.Json)
        {
            context.WriteLine(record.SeqNum.ToString(CultureInfo.InvariantCulture) + " " + CliContext.Text(record.Body));
            return;
        }

        context.WriteJson(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("seq_num", record.SeqNum);
            json.WriteNumber("timestamp", record.TimestampMs);
            json.WriteStartArray("headers");
            foreach (var header in record.Headers)
            {
                json.WriteStartArray();
                json.WriteStringValue(Encoding.UTF8.GetString(header.Name));
                json.WriteStringValue(Encoding.UTF8.GetString(header.Value));
                json.WriteEndArray();
            }

            json.WriteEndArray();
            // S2's snake_case, as the rest of the line: text when it is UTF-8, else base64.
            if (CliContext.ValueFields(record.Body) is { Text: { } text })
                json.WriteString("body", text);
            else
                json.WriteBase64String("body_base64", record.Body);
            json.WriteEndObject();
        });
    }
}

/// <summary><c>kvdb s2 tail --basin BASIN STREAM</c>.</summary>
internal sealed class S2TailVerb : CliVerb
{
    private readonly Flag<string?> basin = S2Cli.BasinFlag();
    private readonly Argument<string> stream = Required("STREAM", "The stream.");

    public override string Path => "s2 tail";

    public override string Summary => "Print an S2 stream's tail: its next sequence number and last timestamp.";

    public override IReadOnlyList<string> Usage => ["s2 tail --basin BASIN STREAM [flags]", "s2 tail --basin my-basin-1 orders"];

    public override IReadOnlyList<string> Notes => ["Text prints \"SEQ_NUM TIMESTAMP_MS\"; -o json S2's {\"tail\":{\"seq_num\",\"timestamp\"}}. A stream that does not exist exits 1."];

    public override void Define(Command command)
    {
        command.Add(basin);
        command.Add(stream);
    }

    public override async Task<int> RunAsync(ParseResult result, CliContext context, CancellationToken token)
    {
        if (S2Cli.Basin(result, basin, context, Path) is not { } inBasin)
            return ExitCodes.Usage;
        var tail = await context.Client.CheckTailAsync(inBasin, result.GetRequiredValue(stream), token);
        if (context.Json)
            context.WriteJson(json => ContractJson.Write(json, new S2TailJson { Tail = tail }, S2JsonContext.Default.S2TailJson));
        else
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{tail.SeqNum} {tail.Timestamp}"));
        return ExitCodes.Ok;
    }
}
