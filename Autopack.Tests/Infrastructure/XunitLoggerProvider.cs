using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Autopack.Tests.Infrastructure;

public sealed record LoggedError(string Category, string Message, Exception? Exception)
{
    public override string ToString() => $"[{Category}] {Message}{(Exception is null ? "" : " — " + Exception.GetBaseException().Message)}";
}

/// <summary>
/// Sends a test's service logs to its xunit output (shown when the test fails) and keeps every error, so a test can
/// fail on an error it did not expect instead of a hot loop of them going unseen.
/// </summary>
public sealed class XunitLoggerProvider(ITestOutputHelper? output) : ILoggerProvider
{
    public ConcurrentQueue<LoggedError> Errors { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        if (level >= LogLevel.Error) Errors.Enqueue(new LoggedError(category, message, exception));
        if (output is null) return;
        try { output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {level,-11} {category.Split('.')[^1]}: {message}{(exception is null ? "" : Environment.NewLine + exception)}"); }
        catch (InvalidOperationException) { } // a log line after the test ended has no output to go to
    }

    private sealed class Logger(XunitLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Write(category, logLevel, formatter(state, exception), exception);
        }
    }
}
