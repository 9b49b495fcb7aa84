/**
 * Storage's frame layout as adapters may use it (they import the core, not storage): a
 * batch built as frames for Broker.produceFrames, and a cursor over the frames
 * Broker.fetchFrames returns.
 */
export { type FrameBatch, FrameBatchBuilder, type FrameHeader, type FrameMemory } from "../storage/frame-batch.ts";
export { FrameCursor, type FrameRun, type StoredFrames } from "../storage/frame-read.ts";
