using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Cli.Files;

/// <summary>
/// Whether two paths name the same file: the same full path once symbolic links are followed, or, on Linux, the same
/// device and inode, which also catches hard links and links in a folder part of the path.
/// </summary>
internal static partial class FileIdentity
{
    /// <summary>True when both paths exist and are one file.</summary>
    public static bool AreSame(string first, string second)
    {
        if (!File.Exists(first) || !File.Exists(second)) return false;
        if (string.Equals(Resolve(first), Resolve(second), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
            return true;
        return OperatingSystem.IsLinux() && TryGetLinuxId(first, out var a) && TryGetLinuxId(second, out var b) && a == b;
    }

    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
    }

    // statx(2) rather than stat(2): its struct has one layout on every architecture (struct stat does not), so the
    // offsets below hold on x64 and arm64 alike. Offsets from linux/stat.h: stx_mask 0, stx_ino 32, stx_dev_major 136,
    // stx_dev_minor 140; the struct is 256 bytes.
    private const int AtCurrentDirectory = -100;
    private const uint StatxInode = 0x100;
    private const int StatxSize = 256;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    private static unsafe bool TryGetLinuxId(string path, out (ulong Device, ulong Inode) id)
    {
        id = default;
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, StatxInode, buffer) != 0) return false;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // a libc without statx (older than glibc 2.28): the path comparison is all there is
        }
        if ((*(uint*)buffer & StatxInode) == 0) return false;
        ulong inode = *(ulong*)(buffer + 32);
        ulong device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        id = (device, inode);
        return true;
    }
}
