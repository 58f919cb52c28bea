// S2's configuration documents and kvdb's stored configurations, both ways. A request's stream
// configuration is resolved field by field over a base (the basin's default, or the system's),
// as S2 resolves it when a stream is created.
using KvDb.Contracts;
using KvDb.Core.Streams;

namespace KvDb.Node.Streams;

/// <summary>Converts configurations.</summary>
public static class S2Configs
{
    /// <summary>The stream configuration a request asks for over <paramref name="basis"/>, or the error.</summary>
    public static (StreamConfig? Config, S2Error? Error) Resolve(S2StreamConfigJson? json, StreamConfig basis)
    {
        if (json is null)
            return (basis, null);
        if (json.StorageClass is not (null or "standard" or "express"))
            return (null, S2Error.Invalid("storage_class is standard or express"));
        if (json.Timestamping?.Mode is { } mode && !TimestampingModes.IsKnown(mode))
            return (null, S2Error.Invalid("timestamping.mode is client-prefer, client-require or arrival"));
        if (json.RetentionPolicy is { Age: <= 0 })
            return (null, S2Error.Invalid("retention_policy.age must be positive"));
        if (json.DeleteOnEmpty?.MinAgeSecs is < 0)
            return (null, S2Error.Invalid("delete_on_empty.min_age_secs must not be negative"));
        var retention = json.RetentionPolicy switch
        {
            null => basis.RetentionAgeSecs,
            { Infinite: not null } => null,
            { Age: { } age } => age,
            _ => basis.RetentionAgeSecs,
        };
        return (new StreamConfig
        {
            StorageClass = json.StorageClass ?? basis.StorageClass,
            RetentionAgeSecs = retention,
            TimestampingMode = json.Timestamping?.Mode ?? basis.TimestampingMode,
            Uncapped = json.Timestamping?.Uncapped ?? basis.Uncapped,
            DeleteOnEmptyMinAgeSecs = json.DeleteOnEmpty?.MinAgeSecs ?? basis.DeleteOnEmptyMinAgeSecs,
        }, null);
    }

    /// <summary>The basin configuration a request asks for (unset fields are the system default), or the error.</summary>
    public static (BasinConfig? Config, S2Error? Error) Resolve(S2BasinConfigJson? json)
    {
        if (json is null)
            return (BasinConfig.Default, null);
        var (streams, error) = Resolve(json.DefaultStreamConfig, StreamConfig.Default);
        return streams is null
            ? (null, error)
            : (new BasinConfig { DefaultStreamConfig = streams, CreateStreamOnAppend = json.CreateStreamOnAppend ?? false, CreateStreamOnRead = json.CreateStreamOnRead ?? false }, null);
    }

    /// <summary>A stream configuration as S2 shows it, every field set.</summary>
    public static S2StreamConfigJson ToJson(StreamConfig config) => new()
    {
        StorageClass = config.StorageClass,
        RetentionPolicy = config.RetentionAgeSecs is { } age ? new S2RetentionPolicyJson { Age = age } : new S2RetentionPolicyJson { Infinite = new S2EmptyJson() },
        Timestamping = new S2TimestampingJson { Mode = config.TimestampingMode, Uncapped = config.Uncapped },
        DeleteOnEmpty = new S2DeleteOnEmptyJson { MinAgeSecs = config.DeleteOnEmptyMinAgeSecs },
    };

    /// <summary>A basin configuration as S2 shows it.</summary>
    public static S2BasinConfigJson ToJson(BasinConfig config) => new()
    {
        DefaultStreamConfig = ToJson(config.DefaultStreamConfig),
        CreateStreamOnAppend = config.CreateStreamOnAppend,
        CreateStreamOnRead = config.CreateStreamOnRead,
    };
}
