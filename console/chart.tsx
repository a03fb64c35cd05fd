import { useEffect, useRef } from "hono/jsx/dom";
import uPlot from "uplot";

// uPlot on a canvas: fast at thousands of points, about 22 KB gzipped.

export interface Line {
  label: string;
  values: (number | null)[];
  /** Drawn dashed, unfilled: a limit or a forecast. */
  dashed?: boolean;
}

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/**
 * A time chart. `stacked`: each filled line is drawn on top of the ones before it, with translucent
 * fills; the legend still shows each series' own value.
 */
export function Chart(props: { title: string; times: number[]; lines: Line[]; stacked?: boolean; height?: number; format?: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const own = props.lines.map((line) => line.values);
    const drawn = own.map((values, i) => {
      if (!props.stacked || props.lines[i].dashed) return values;
      return values.map((v, at) => {
        let sum = v ?? 0;
        for (let j = 0; j < i; j++) if (!props.lines[j].dashed) sum += own[j][at] ?? 0;
        return sum;
      });
    });
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    const axis = { stroke: dark ? "#c9d1d9" : "#333", grid: { stroke: dark ? "#30363d" : "#e5e5e5" }, ticks: { stroke: dark ? "#30363d" : "#e5e5e5" } };
    const format = props.format ?? ((v: number) => String(Math.round(v * 1e6) / 1e6));
    const chart = new uPlot(
      {
        title: props.title,
        width: Math.max(320, el.clientWidth),
        height: props.height ?? 240,
        axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map(format) }],
        series: [
          {},
          ...props.lines.map((line, i) => {
            const color = PALETTE[i % PALETTE.length];
            return {
              label: line.label,
              stroke: color,
              width: line.dashed ? 2 : 1,
              dash: line.dashed ? [6, 4] : undefined,
              fill: line.dashed ? undefined : `${color}66`,
              value: (_u: uPlot, _v: number | null, _s: number, at: number | null) => (at === null ? "–" : format(own[i][at] ?? 0)),
            };
          }),
        ],
      },
      [props.times, ...drawn] as uPlot.AlignedData,
      el,
    );
    const resize = () => chart.setSize({ width: Math.max(320, el.clientWidth), height: props.height ?? 240 });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      chart.destroy();
    };
  }, [JSON.stringify([props.times, props.lines, props.stacked, props.title])]);
  return <div class="chart" ref={box} role="img" aria-label={props.title} />;
}
