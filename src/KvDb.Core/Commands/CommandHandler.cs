// Everything kvdb knows about one kind of command, declared by the feature that owns it: its
// union tag in the log, how it applies, whether it is exactly-once, how it shares a batch, the
// limits a forwarded copy must respect and how /v1/log shows it. The executor, the batcher, the
// forwarded-write check and the log writer look handlers up here instead of switching over
// every command, so a new command is one handler and one registration line.
// Invariants:
//  - Apply is deterministic: it reads only the executor's view of the store and the entry
//    (index, proposed-at time), so every member computes the same state from the same log.
//  - A handler's tag never changes once written to a log (see KvCommand).
using System.Text.Json;
using KvDb.Core.State;
using MessagePack;
using MessagePack.Formatters;

namespace KvDb.Core.Commands;

/// <summary>The behaviour of one command type; see <see cref="CommandHandler{TCommand}"/>.</summary>
public abstract class CommandHandler
{
    private protected CommandHandler(int tag, string logName, Type commandType)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tag);
        ArgumentException.ThrowIfNullOrEmpty(logName);
        Tag = tag;
        LogName = logName;
        CommandType = commandType;
    }

    /// <summary>The command's union tag in log entries; part of the on-disk format.</summary>
    public int Tag { get; }

    /// <summary>The name of the command's object in <c>/v1/log</c> lines (<c>"Put"</c>).</summary>
    public string LogName { get; }

    /// <summary>The command type this handler applies.</summary>
    public Type CommandType { get; }

    /// <summary>Whether the command writes user data and so is refused while the disk is nearly full.</summary>
    public virtual bool WritesUserData => false;

    internal abstract CommandResult Execute(CommandExecutor executor, long index, KvCommand command);

    internal abstract bool TryClaim(KvCommand command, BatchClaims claims);

    /// <summary>Why a forwarded copy of <paramref name="command"/> exceeds <paramref name="limits"/>, or null when it fits.</summary>
    public abstract string? LimitProblem(KvCommand command, CommandLimits limits);

    /// <summary>Writes <paramref name="command"/>'s fields into its open <c>/v1/log</c> object.</summary>
    public abstract void WriteLogFields(Utf8JsonWriter json, KvCommand command, LogLineContext context);

    internal abstract void Serialize(ref MessagePackWriter writer, KvCommand command, MessagePackSerializerOptions options);

    internal abstract KvCommand Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options);
}

/// <summary>The behaviour of <typeparamref name="TCommand"/>: override what the command needs, keep the defaults for the rest.</summary>
/// <typeparam name="TCommand">The command type.</typeparam>
/// <param name="tag">The command's union tag in log entries (never reused or renumbered).</param>
/// <param name="logName">The name of the command's object in <c>/v1/log</c> lines.</param>
public abstract class CommandHandler<TCommand>(int tag, string logName) : CommandHandler(tag, logName, typeof(TCommand))
    where TCommand : KvCommand
{
    /// <summary>Applies <paramref name="command"/> as part of the entry at <paramref name="index"/>.</summary>
    public abstract CommandResult Apply(CommandExecutor executor, long index, TCommand command);

    /// <summary>The command's idempotency key, or null when it is not exactly-once.</summary>
    public virtual string? IdempotencyKeyOf(TCommand command) => null;

    /// <summary>A hash of what the producer asked for (without the idempotency key), to tell a retry from a reused key.</summary>
    public virtual ulong FingerprintOf(TCommand command) => 0;

    /// <summary>Takes the keys the command writes in the batch being built; false when it must wait for the next batch.</summary>
    public virtual bool TryClaim(TCommand command, BatchClaims claims) => true;

    /// <summary>Why a forwarded copy of the command exceeds the member's limits, or null when it fits.</summary>
    public virtual string? CheckLimits(TCommand command, CommandLimits limits) => null;

    /// <summary>Writes the command's fields into its open log object.</summary>
    public virtual void WriteLog(Utf8JsonWriter json, TCommand command, LogLineContext context)
    {
    }

    internal sealed override CommandResult Execute(CommandExecutor executor, long index, KvCommand command)
    {
        var typed = (TCommand)command;
        if (IdempotencyKeyOf(typed) is not { } idempotencyKey)
            return Apply(executor, index, typed);

        var fingerprint = FingerprintOf(typed);
        if (executor.TryReplay(idempotencyKey, fingerprint, out var replayed))
            return replayed;
        var result = Apply(executor, index, typed);
        executor.Remember(idempotencyKey, fingerprint, result);
        return result;
    }

    internal sealed override bool TryClaim(KvCommand command, BatchClaims claims) => TryClaim((TCommand)command, claims);

    /// <inheritdoc/>
    public sealed override string? LimitProblem(KvCommand command, CommandLimits limits) => CheckLimits((TCommand)command, limits);

    /// <inheritdoc/>
    public sealed override void WriteLogFields(Utf8JsonWriter json, KvCommand command, LogLineContext context) => WriteLog(json, (TCommand)command, context);

    internal sealed override void Serialize(ref MessagePackWriter writer, KvCommand command, MessagePackSerializerOptions options)
        => FormatterFor(options).Serialize(ref writer, (TCommand)command, options);

    internal sealed override KvCommand Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        => FormatterFor(options).Deserialize(ref reader, options);

    // The command's formatter, looked up once per options (a registry has one).
    private IMessagePackFormatter<TCommand> FormatterFor(MessagePackSerializerOptions options)
    {
        var cached = formatter;
        if (cached is not null && ReferenceEquals(cached.Options, options))
            return cached.Formatter;
        var found = options.Resolver.GetFormatterWithVerify<TCommand>();
        formatter = new(options, found);
        return found;
    }

    private sealed record CachedFormatter(MessagePackSerializerOptions Options, IMessagePackFormatter<TCommand> Formatter);

    private CachedFormatter? formatter;
}
