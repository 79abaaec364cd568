using System.Runtime.InteropServices;

namespace RectifiedSpaAttn.Compute.Emulation;

/// <summary>
/// The CPU accelerator's form of a <see cref="TensorMap"/>'s 128 bytes, and the bulk tensor copy it describes.
/// Layout: magic (8 bytes), first element's host address (8), view bytes (8), rank (4), element size (4),
/// dims[3] (24), byte strides of dims 1 and 2 (16), box[3] (12), swizzle (4).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CpuTensorMap
{
    private const ulong MagicValue = 0x5041_4D54_5550_4352; // "RCPUTMAP"

    public ulong Magic;
    public long Start;
    public long Bytes;
    public int Rank;
    public int ElementSize;
    public fixed long Dims[3];
    public fixed long Strides[2];
    public fixed int Box[3];
    public int Swizzle;

    /// <summary>Writes the description of a tensor into a map's 128 bytes.</summary>
    public static void Encode(nint destination, nint start, long bytes, int elementSize, long[] dims, long[] strideBytes, int[] box, TensorMapSwizzle swizzle)
    {
        var map = (CpuTensorMap*)destination;
        map->Magic = MagicValue;
        map->Start = start;
        map->Bytes = bytes;
        map->Rank = dims.Length;
        map->ElementSize = elementSize;
        for (int d = 0; d < 3; d++)
        {
            map->Dims[d] = d < dims.Length ? dims[d] : 1;
            map->Box[d] = d < box.Length ? box[d] : 1;
            if (d < 2) map->Strides[d] = d < strideBytes.Length ? strideBytes[d] : 0;
        }
        map->Swizzle = (int)swizzle;
    }

    /// <summary>
    /// <c>cp.async.bulk.tensor</c>: copies the box at (<paramref name="x"/>, <paramref name="y"/>, <paramref name="z"/>)
    /// to <paramref name="destination"/> (zeros outside the tensor, rows swizzled for the 128-byte layout) and returns
    /// the bytes the copy completes on its barrier.
    /// </summary>
    public static int Copy(nint mapAddress, int rank, nint destination, long destinationBytesLeft, string destinationName, int x, int y, int z)
    {
        var map = (CpuTensorMap*)mapAddress;
        if (map->Magic != MagicValue)
            throw new InvalidOperationException("The tensor map passed to BulkTensor.Load was not made for the CPU accelerator.");
        if (map->Rank != rank)
            throw new InvalidOperationException($"BulkTensor.Load{rank}D was given a {map->Rank}D tensor map.");
        int es = map->ElementSize, bw = map->Box[0], bh = map->Box[1], bd = map->Box[2];
        int rowBytes = bw * es, total = rowBytes * bh * bd;
        bool swizzled = map->Swizzle == (int)TensorMapSwizzle.Bytes128;
        if ((destination & (swizzled ? 1023 : 127)) != 0)
            throw new InvalidOperationException($"BulkTensor.Load into '{destinationName}' at address 0x{destination:X}: the destination must be {(swizzled ? 1024 : 128)}-byte aligned.");
        if (total > destinationBytesLeft)
            throw new IndexOutOfRangeException($"BulkTensor.Load writes {total} bytes into '{destinationName}', which has {destinationBytesLeft} bytes from there.");
        byte* src = (byte*)map->Start, dst = (byte*)destination;
        for (int k = 0; k < bd; k++)
        {
            for (int j = 0; j < bh; j++)
            {
                long gz = (long)z + k, gy = (long)y + j;
                for (int i = 0; i < bw; i++)
                {
                    long gx = (long)x + i;
                    int offset = ((k * bh + j) * bw + i) * es;
                    if (swizzled) offset = BulkTensor.Swizzle128(offset);
                    bool inside = gx >= 0 && gx < map->Dims[0] && gy >= 0 && gy < map->Dims[1] && gz >= 0 && gz < map->Dims[2];
                    if (inside)
                    {
                        long at = gx * es + gy * map->Strides[0] + gz * map->Strides[1];
                        if (at < 0 || at + es > map->Bytes)
                            throw new IndexOutOfRangeException($"The tensor map reaches byte {at} of a tensor of {map->Bytes} bytes.");
                        Buffer.MemoryCopy(src + at, dst + offset, es, es);
                    }
                    else
                    {
                        new Span<byte>(dst + offset, es).Clear();
                    }
                }
            }
        }
        return total;
    }
}
