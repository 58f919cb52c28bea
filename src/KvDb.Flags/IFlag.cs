// What --help needs to know about a flag, whatever its value type.
// Invariant: everything --help prints about a flag comes from the flag itself (see Flag<T>), so
// the help text cannot drift from what the parser accepts.
namespace KvDb.Flags;

/// <summary>The help-facing description of one flag.</summary>
public interface IFlag
{
    /// <summary>The name without the leading dashes, e.g. <c>data-dir</c>.</summary>
    string FlagName { get; }

    /// <summary>The placeholder of the value (<c>DURATION</c>), or null for a switch.</summary>
    string? ValueName { get; }

    /// <summary>One or two sentences for --help.</summary>
    string Summary { get; }

    /// <summary>The default as shown in --help; empty when there is none worth showing.</summary>
    string DefaultText { get; }

    /// <summary>The environment variable read when the flag is not given, or null when none is.</summary>
    string? EnvironmentName { get; }

    /// <summary>How the flag is written in --help and errors: <c>--name VALUE</c> or <c>--name</c>.</summary>
    string Usage => ValueName is null ? $"--{FlagName}" : $"--{FlagName} {ValueName}";
}
