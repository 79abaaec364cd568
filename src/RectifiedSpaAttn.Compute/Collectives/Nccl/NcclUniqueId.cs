namespace RectifiedSpaAttn.Compute.Collectives.Nccl;

/// <summary>
/// The 128-byte token that lets one process per GPU join one NCCL communicator: rank 0 makes it with
/// <see cref="Create"/>, sends <see cref="ToArray"/> to the other processes by any means (a file, MPI, a socket), and
/// every process passes it to <see cref="NcclCommunicator.CreateRank"/>.
/// </summary>
public unsafe struct NcclUniqueId : IEquatable<NcclUniqueId>
{
    /// <summary>The size of the token in bytes.</summary>
    public const int Size = 128;

    private fixed byte _bytes[Size];

    /// <summary>A new token from NCCL.</summary>
    /// <exception cref="NotSupportedException">NCCL cannot be loaded.</exception>
    public static NcclUniqueId Create()
    {
        NcclLibrary.Entries nccl = NcclLibrary.Require();
        NcclUniqueId id;
        NcclLibrary.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        return id;
    }

    /// <summary>A token from the bytes another process sent.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not <see cref="Size"/> bytes long.</exception>
    public static NcclUniqueId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"An NCCL unique id is {Size} bytes; got {bytes.Length}.", nameof(bytes));
        NcclUniqueId id;
        bytes.CopyTo(new Span<byte>(id._bytes, Size));
        return id;
    }

    /// <summary>The token's bytes, to send to the other processes.</summary>
    public readonly byte[] ToArray()
    {
        fixed (byte* bytes = _bytes) return new ReadOnlySpan<byte>(bytes, Size).ToArray();
    }

    /// <inheritdoc/>
    public readonly bool Equals(NcclUniqueId other)
    {
        fixed (byte* mine = _bytes) return new ReadOnlySpan<byte>(mine, Size).SequenceEqual(new ReadOnlySpan<byte>(other._bytes, Size));
    }

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is NcclUniqueId other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        fixed (byte* bytes = _bytes) hash.AddBytes(new ReadOnlySpan<byte>(bytes, Size));
        return hash.ToHashCode();
    }

    /// <summary>Whether two tokens are the same.</summary>
    public static bool operator ==(NcclUniqueId left, NcclUniqueId right) => left.Equals(right);

    /// <summary>Whether two tokens differ.</summary>
    public static bool operator !=(NcclUniqueId left, NcclUniqueId right) => !left.Equals(right);
}
