// The lock and election use cases' shared service: the ownership queue they both wait in.
namespace KvDb.Node.Locks;

/// <summary>Registers the lock and election services.</summary>
public static class LockComposition
{
    /// <summary>Adds <see cref="OwnershipQueue"/>.</summary>
    public static IServiceCollection AddLocks(this IServiceCollection services) => services.AddSingleton<OwnershipQueue>();
}
