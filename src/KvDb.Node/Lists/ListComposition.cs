// The lists use case's services: the per-list append signal its followers wait on.
namespace KvDb.Node.Lists;

/// <summary>Registers the list services.</summary>
public static class ListComposition
{
    /// <summary>Adds <see cref="ListFeed"/>.</summary>
    public static IServiceCollection AddLists(this IServiceCollection services) => services.AddSingleton<ListFeed>();
}
