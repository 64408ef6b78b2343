using Autopack.Api.Extensions;
using Autopack.Core.Data;
using Autopack.Hosting;

if (args is ["migrate", ..]) return await MigrateCommand.RunAsync(args[1..]);

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddAutopackPlatform("supervisor_api", DatabaseRetry.Requests);
builder.AddApiServices();

var app = builder.Build();
app.UseApiPipeline();
app.MapAutopackApi();
app.MapDefaultEndpoints();
app.MapAutopackEndpoints();
await app.RunAsync();
return 0;

public partial class Program;
