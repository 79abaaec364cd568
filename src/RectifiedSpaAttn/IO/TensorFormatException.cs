namespace RectifiedSpaAttn.IO;

/// <summary>
/// A tensor file (.safetensors, .npy, .npz) is malformed, truncated or uses a feature this library does not read.
/// The message names the file, when known, and exactly what is wrong.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (like <see cref="EndOfStreamException"/>): <see cref="InvalidDataException"/>, the
/// closer match, is sealed. Archive errors surfaced by <see cref="System.IO.Compression"/> as
/// <see cref="InvalidDataException"/> are wrapped as the <see cref="Exception.InnerException"/>.
/// </remarks>
public sealed class TensorFormatException : IOException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public TensorFormatException() : base("The tensor file is malformed.") { }

    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    public TensorFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that revealed the problem.</summary>
    public TensorFormatException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>
    /// Creates the exception for a named file: the message becomes <c>'FILE': PROBLEM</c> and
    /// <see cref="FileName"/> is set.
    /// </summary>
    public TensorFormatException(string? fileName, string problem, Exception? innerException = null)
        : base(Compose(fileName, problem), innerException)
    {
        FileName = fileName;
    }

    /// <summary>The file (or archive entry) that is malformed, when known.</summary>
    public string? FileName { get; }

    private static string Compose(string? fileName, string problem) =>
        fileName is null ? problem : $"'{fileName}': {problem}";
}
