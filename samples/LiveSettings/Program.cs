// LiveSettings: an ASP.NET Core app whose greeting comes from kvdb. The setting is bound with
// IOptionsMonitor, so a PUT of config/livesettings/Greeting/Message changes what GET / answers,
// without a restart. The members are Kvdb__Endpoints (comma-separated) or the Procfile's three.
using KvDb.Extensions.Configuration;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
var endpoints = builder.Configuration["Kvdb:Endpoints"] ?? "http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380";
builder.Configuration.AddKvDb(o =>
{
    o.Endpoints = [.. endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(url => new Uri(url))];
    o.Prefix = "config/livesettings/";
    o.ReloadOnChange = true;
    o.Optional = true;
});
builder.Services.Configure<GreetingSettings>(builder.Configuration.GetSection("Greeting"));

var app = builder.Build();
app.MapGet("/", (IOptionsMonitor<GreetingSettings> greeting) => greeting.CurrentValue.Message);
app.Run();

/// <summary>The live setting: <c>Greeting:Message</c>, i.e. the kvdb key <c>config/livesettings/Greeting/Message</c>.</summary>
public sealed class GreetingSettings
{
    /// <summary>What GET / answers.</summary>
    public string Message { get; set; } = "hello (nothing in kvdb yet)";
}
