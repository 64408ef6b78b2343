using Autopack.Executor.Extensions;
using Autopack.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var settings = builder.AddAutopackPlatform("executor");
builder.AddExecutorServices(settings);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAutopackEndpoints();
app.Run();
