using RectifiedSpaAttn.Tensors;

namespace RectifiedSpaAttn.IO;

/// <summary>
/// One tensor's header entry: dtype, shape and byte range relative to the start of the data buffer. A skipped entry
/// (one the caller did not ask for) is not read, so its dtype need not be one we read; <see cref="Type"/> is then
/// meaningless and only its byte range counts.
/// </summary>
internal readonly record struct SafeTensorsEntry(string Name, ElementType Type, int[] Shape, long Begin, long End, bool Skipped = false)
{
    public long ByteLength => End - Begin;
}
