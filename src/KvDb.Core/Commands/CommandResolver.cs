// Resolves KvCommand to the registry's union formatter and every other type as MessagePack's
// standard resolver does. Not a CompositeResolver: that one looks each type up in a hash table
// on every call, and the generated formatters ask for each field's formatter on every command,
// so it made encoding and decoding entries markedly slower; the standard resolver's answers
// come from static generic caches.
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace KvDb.Core.Commands;

internal sealed class CommandResolver(KvCommandFormatter commands) : IFormatterResolver
{
    public IMessagePackFormatter<T>? GetFormatter<T>()
        => typeof(T) == typeof(KvCommand) ? (IMessagePackFormatter<T>)(object)commands : StandardResolver.Instance.GetFormatter<T>();
}
