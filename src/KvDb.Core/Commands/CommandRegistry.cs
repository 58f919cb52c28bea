// The commands this build knows, each with its handler, gathered from the features' modules.
// Invariants:
//  - A tag and a command type each belong to one handler; registering either twice fails at
//    start-up, never as a misread entry later.
//  - The registry is immutable once built, so the hot paths read it without locks.
using System.Collections.Frozen;
using MessagePack;

namespace KvDb.Core.Commands;

/// <summary>A feature's contribution to the command registry.</summary>
public interface ICommandModule
{
    /// <summary>Adds the feature's command handlers (and batching groups) to <paramref name="registry"/>.</summary>
    void Register(CommandRegistry.Builder registry);
}

/// <summary>Maps commands to their handlers, and tags to command types.</summary>
public sealed class CommandRegistry
{
    private readonly FrozenDictionary<Type, CommandHandler> byType;
    private readonly FrozenDictionary<int, CommandHandler> byTag;

    // Tags are small numbers: the decoder finds a handler by index, without hashing.
    private readonly CommandHandler?[] byTagIndex;
    private readonly Func<byte[], byte[]?>[] exclusiveGroups;

    private CommandRegistry(List<CommandHandler> handlers, List<Func<byte[], byte[]?>> groups)
    {
        byType = handlers.ToFrozenDictionary(static h => h.CommandType);
        byTag = handlers.ToFrozenDictionary(static h => h.Tag);
        byTagIndex = new CommandHandler?[Math.Min(handlers.Count == 0 ? 0 : handlers.Max(static h => h.Tag) + 1, 1024)];
        foreach (var handler in handlers.Where(h => h.Tag < byTagIndex.Length))
            byTagIndex[handler.Tag] = handler;
        exclusiveGroups = [.. groups];
        SerializerOptions = MessagePackSerializerOptions.Standard
            .WithResolver(new CommandResolver(new KvCommandFormatter(this)))
            .WithSecurity(MessagePackSecurity.UntrustedData);
    }

    /// <summary>The registry of every feature this build has (<see cref="CoreModules.All"/>).</summary>
    public static CommandRegistry Default { get; } = Create(CoreModules.All);

    /// <summary>MessagePack options that read and write <see cref="KvCommand"/> through this registry.</summary>
    public MessagePackSerializerOptions SerializerOptions { get; }

    /// <summary>Every handler, in no particular order.</summary>
    public IEnumerable<CommandHandler> Handlers => byType.Values;

    /// <summary>Builds a registry from <paramref name="modules"/>.</summary>
    /// <exception cref="InvalidOperationException">Two handlers claim one tag or one command type.</exception>
    public static CommandRegistry Create(IEnumerable<ICommandModule> modules)
    {
        var builder = new Builder();
        foreach (var module in modules)
            module.Register(builder);
        return new CommandRegistry(builder.Handlers, builder.Groups);
    }

    /// <summary>The handler of <paramref name="command"/>.</summary>
    /// <exception cref="InvalidDataException">No feature of this build registered the command's type.</exception>
    public CommandHandler HandlerOf(KvCommand command)
        => byType.TryGetValue(command.GetType(), out var handler)
            ? handler
            : throw new InvalidDataException($"No handler is registered for {command.GetType().Name}.");

    /// <summary>The handler of <paramref name="command"/>, or null when no feature of this build registered its type.</summary>
    public CommandHandler? TryHandlerOf(KvCommand command) => byType.GetValueOrDefault(command.GetType());

    /// <summary>The handler registered for <paramref name="tag"/>, or null.</summary>
    public CommandHandler? HandlerOf(int tag)
        => (uint)tag < (uint)byTagIndex.Length ? byTagIndex[tag] : byTag.GetValueOrDefault(tag);

    /// <summary>The exclusive group <paramref name="key"/> belongs to (see <see cref="Builder.AddExclusiveGroup"/>), or null.</summary>
    internal byte[]? ExclusiveGroupOf(byte[] key)
    {
        foreach (var group in exclusiveGroups)
        {
            if (group(key) is { } name)
                return name;
        }

        return null;
    }

    /// <summary>Collects handlers while the registry is built.</summary>
    public sealed class Builder
    {
        internal List<CommandHandler> Handlers { get; } = [];

        internal List<Func<byte[], byte[]?>> Groups { get; } = [];

        /// <summary>Registers <paramref name="handler"/>.</summary>
        /// <exception cref="InvalidOperationException">Its tag or command type is taken.</exception>
        public Builder Add(CommandHandler handler)
        {
            ArgumentNullException.ThrowIfNull(handler);
            if (Handlers.Find(h => h.Tag == handler.Tag || h.CommandType == handler.CommandType) is { } taken)
                throw new InvalidOperationException($"{handler.CommandType.Name} (tag {handler.Tag}) collides with {taken.CommandType.Name} (tag {taken.Tag}).");
            Handlers.Add(handler);
            return this;
        }

        /// <summary>
        /// Adds a rule naming the group a key belongs to (null: none). A batch takes at most one
        /// create-only put per group, so contenders joining one queue get distinct revisions.
        /// </summary>
        public Builder AddExclusiveGroup(Func<byte[], byte[]?> groupOf)
        {
            ArgumentNullException.ThrowIfNull(groupOf);
            Groups.Add(groupOf);
            return this;
        }
    }
}
