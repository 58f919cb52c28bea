// The commands of S2's basins and streams, each with its handler (tags are the log format and
// never reused).
using System.Text.Json;
using KvDb.Core.Commands;
using KvDb.Core.State;
using KvDb.Core.Values;

namespace KvDb.Core.Streams;

/// <summary>Registers the S2 stream commands.</summary>
public sealed class StreamsModule : ICommandModule
{
    /// <inheritdoc/>
    public void Register(CommandRegistry.Builder registry)
        => registry.Add(new PutBasinHandler()).Add(new DeleteBasinHandler()).Add(new PutStreamHandler()).Add(new DeleteStreamHandler()).Add(new StreamAppendHandler())
            .Add(new StreamRetentionTrimHandler()).Add(new DeleteEmptyStreamHandler());
}

internal sealed class PutBasinHandler() : CommandHandler<PutBasinCommand>(19, "PutBasin")
{
    public override CommandResult Apply(CommandExecutor executor, long index, PutBasinCommand command) => executor.PutBasin(command);

    public override void WriteLog(Utf8JsonWriter json, PutBasinCommand command, LogLineContext context)
    {
        json.WriteString("name", command.Name);
        json.WriteBoolean("replace", command.Replace);
        json.WriteBoolean("createStreamOnAppend", command.Config.CreateStreamOnAppend);
        json.WriteBoolean("createStreamOnRead", command.Config.CreateStreamOnRead);
    }
}

internal sealed class DeleteBasinHandler() : CommandHandler<DeleteBasinCommand>(20, "DeleteBasin")
{
    public override CommandResult Apply(CommandExecutor executor, long index, DeleteBasinCommand command) => executor.DeleteBasin(index, command);

    public override void WriteLog(Utf8JsonWriter json, DeleteBasinCommand command, LogLineContext context) => json.WriteString("name", command.Name);
}

internal sealed class PutStreamHandler() : CommandHandler<PutStreamCommand>(21, "PutStream")
{
    public override CommandResult Apply(CommandExecutor executor, long index, PutStreamCommand command) => executor.PutStream(command);

    public override void WriteLog(Utf8JsonWriter json, PutStreamCommand command, LogLineContext context)
    {
        json.WriteString("basin", command.Basin);
        json.WriteString("stream", command.Stream);
        json.WriteBoolean("replace", command.Replace);
        json.WriteString("timestamping", command.Config.TimestampingMode);
    }
}

internal sealed class DeleteStreamHandler() : CommandHandler<DeleteStreamCommand>(22, "DeleteStream")
{
    public override CommandResult Apply(CommandExecutor executor, long index, DeleteStreamCommand command) => executor.DeleteStream(index, command);

    public override void WriteLog(Utf8JsonWriter json, DeleteStreamCommand command, LogLineContext context)
    {
        json.WriteString("basin", command.Basin);
        json.WriteString("stream", command.Stream);
    }
}

internal sealed class StreamAppendHandler() : CommandHandler<StreamAppendCommand>(23, "StreamAppend")
{
    public override bool WritesUserData => true;

    public override CommandResult Apply(CommandExecutor executor, long index, StreamAppendCommand command) => executor.StreamAppend(index, command);

    public override void WriteLog(Utf8JsonWriter json, StreamAppendCommand append, LogLineContext context)
    {
        json.WriteString("basin", append.Basin);
        json.WriteString("stream", append.Stream);
        if (append.MatchSeqNum is { } match)
            json.WriteNumber("matchSeqNum", match);
        if (append.FencingToken is { } token)
            json.WriteString("fencingToken", token);
        json.WriteStartArray("records");
        foreach (var record in append.Records)
        {
            json.WriteStartObject();
            if (record.TimestampMs is { } timestamp)
                json.WriteNumber("timestamp", timestamp);
            if (record.Headers is not null)
            {
                json.WriteStartArray("headers");
                foreach (var (name, value) in RecordHeaders.Decode(record.Headers))
                {
                    json.WriteStartArray();
                    LogValueJson.WriteValue(json, name, ValueKind.Raw);
                    LogValueJson.WriteValue(json, value, ValueKind.Raw);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
            }

            json.WritePropertyName("body");
            LogValueJson.WriteValue(json, record.Body, ValueKind.Raw);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}

// Not WritesUserData: both only free space, so a member whose disk is nearly full still takes them.
internal sealed class StreamRetentionTrimHandler() : CommandHandler<StreamRetentionTrimCommand>(24, "StreamRetentionTrim")
{
    public override CommandResult Apply(CommandExecutor executor, long index, StreamRetentionTrimCommand command) => executor.StreamRetentionTrim(index, command);

    public override void WriteLog(Utf8JsonWriter json, StreamRetentionTrimCommand command, LogLineContext context)
    {
        json.WriteString("basin", command.Basin);
        json.WriteString("stream", command.Stream);
        json.WriteNumber("trimTo", command.TrimTo);
    }
}

internal sealed class DeleteEmptyStreamHandler() : CommandHandler<DeleteEmptyStreamCommand>(25, "DeleteEmptyStream")
{
    public override CommandResult Apply(CommandExecutor executor, long index, DeleteEmptyStreamCommand command) => executor.DeleteEmptyStream(index, command);

    public override void WriteLog(Utf8JsonWriter json, DeleteEmptyStreamCommand command, LogLineContext context)
    {
        json.WriteString("basin", command.Basin);
        json.WriteString("stream", command.Stream);
        json.WriteNumber("tail", command.Tail);
    }
}
