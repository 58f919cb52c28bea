namespace LiveSettings;

/// <summary>The live setting: <c>Greeting:Message</c>, i.e. the kvdb key <c>config/livesettings/Greeting/Message</c>.</summary>
public sealed class GreetingSettings
{
    /// <summary>What GET / answers.</summary>
    public string Message { get; set; } = "hello (nothing in kvdb yet)";
}
