// Types for bench/report.mjs, so that a test can check the targets and the closing line.
export interface Evaluated {
  id: string;
  label: string;
  target?: string;
  value: number | null;
  pass: boolean | null;
  text: string;
}
export interface Target {
  id: string;
  label: string;
  target?: string;
  value: (figures: any) => number | null;
  pass?: (value: number) => boolean;
  format: (value: number) => string;
}
export const TARGETS: Target[];
export const USAGE_TARGETS: Target[];
export function evaluateTargets(figures: any, targets?: Target[]): Evaluated[];
export function formatRatioLine(evaluated: Evaluated[]): string;
export function median(values: number[]): number | null;
export const LONG_CHUNKS: number;
export const SHORT_CHUNKS: number;
export function long(key: string): string;
export const PER_CHUNK: { id: string; label: string; value: (figures: any) => number | null }[];
export function formatPerChunk(figures: any): string;
export function formatClosingLine(figures: any): string;
export function formatCpu(cpu: any): string;
