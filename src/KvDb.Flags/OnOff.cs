// The value of a switch flag (--join, --json, ...): given alone it is on; it also takes
// true/false (and 1/0, yes/no, on/off) as --flag=false or --flag false.
// Invariant: parsing is the same for every switch of kvdb and kvdb bench, from the command line
// or the environment, with the same one-line error.
// Why a struct and not bool: System.CommandLine only lets a bool option take a value that
// bool.TryParse accepts; anything else (--preload=maybe) would become a stray argument instead of
// an error that names the flag.
namespace KvDb.Flags;

/// <summary>Whether a switch flag is on.</summary>
/// <param name="IsOn">True when the switch is on.</param>
public readonly record struct OnOff(bool IsOn)
{
    /// <summary>A switch that is off.</summary>
    public static readonly OnOff Off = new(false);

    /// <summary>Parses a switch's value; <paramref name="flag"/> names it in the error.</summary>
    /// <exception cref="FormatException">Not a true/false word; the message is one line.</exception>
    public static OnOff Parse(string flag, string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => new(true),
        "false" or "0" or "no" or "off" or "" => new(false),
        _ => throw new FormatException($"--{flag} takes no value, or true/false; got '{text}'"),
    };

    /// <inheritdoc/>
    public override string ToString() => IsOn ? "on" : "off";
}
