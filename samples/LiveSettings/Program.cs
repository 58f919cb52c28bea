// LiveSettings: an ASP.NET Core app whose greeting comes from kvdb. The setting is bound with
// IOptionsMonitor, so a PUT of config/livesettings/Greeting/Message changes what GET / answers,
// without a restart. The members are Kvdb__Endpoints (comma-separated) or the Procfile's three.
using KvDb.Extensions.Configuration;
using LiveSettings;
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
