using Autopack.Api.Extensions;

if (args is ["migrate", ..]) return await MigrateCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("supervisor_api");

var app = builder.Build();
app.MapDefaultEndpoints();
await app.RunAsync();
return 0;

public partial class Program;
