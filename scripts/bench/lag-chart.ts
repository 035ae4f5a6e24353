/**
 * build/bench/lag.svg: end lag (model's last token → client has it) against answer length, one
 * panel per model rate, one line per publisher and post latency. Hand-written SVG, no library.
 */
import type { BenchRow, PublisherName } from './runner';

const PANEL = { width: 340, height: 250, left: 56, right: 16, top: 28, bottom: 44 };
const HEADER = 84;
const COLOURS: Record<PublisherName, string> = { naive: '#c2410c', publisher: '#1d4ed8' };
const DASHES = ['', '7 4', '2 4', '10 3 2 3'];

function unique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** A round upper bound for the y axis whose quarters are round too (1, 1.2, 1.6, 2, 4, 8 × 10^n). */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.6, 2, 4, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function fixed(value: number): string {
  return value.toFixed(1);
}

export function renderLagChart(rows: readonly BenchRow[]): string {
  const rates = unique(rows.map((row) => row.tokensPerSecond));
  const latencies = unique(rows.map((row) => row.postLatencyMs));
  const maxTokens = Math.max(1, ...rows.map((row) => row.answerTokens));
  const maxLag = niceCeiling(
    Math.max(0, ...rows.flatMap((row) => [row.naive.endLagMs, row.publisher.endLagMs])),
  );
  const width = Math.max(Math.max(1, rates.length) * PANEL.width, 24 + Math.max(2, latencies.length) * 110);
  const height = HEADER + PANEL.height;
  const plotWidth = PANEL.width - PANEL.left - PANEL.right;
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="bold">End lag vs answer length (lower is better)</text>`,
  ];
  // Legend: colour = publisher (first row), dash = post latency (second row).
  (['naive', 'publisher'] as const).forEach((publisher, index) => {
    const x = 12 + index * 110;
    parts.push(
      `<line x1="${x}" y1="40" x2="${x + 24}" y2="40" stroke="${COLOURS[publisher]}" stroke-width="2.5"/>`,
      `<text x="${x + 30}" y="44">${publisher}</text>`,
    );
  });
  latencies.forEach((latency, index) => {
    const x = 12 + index * 110;
    parts.push(
      `<line x1="${x}" y1="60" x2="${x + 24}" y2="60" stroke="#555" stroke-width="2" stroke-dasharray="${DASHES[index % DASHES.length]}"/>`,
      `<text x="${x + 30}" y="64">post ${latency} ms</text>`,
    );
  });

  rates.forEach((rate, panel) => {
    const originX = panel * PANEL.width + PANEL.left;
    const originY = HEADER + PANEL.top + plotHeight;
    const x = (tokens: number) => originX + (tokens / maxTokens) * plotWidth;
    const y = (lag: number) => originY - (lag / maxLag) * plotHeight;
    parts.push(
      `<text x="${originX + plotWidth / 2}" y="${HEADER + 14}" text-anchor="middle" font-weight="bold">${rate} tokens/s</text>`,
      `<line x1="${originX}" y1="${originY}" x2="${originX + plotWidth}" y2="${originY}" stroke="#333"/>`,
      `<line x1="${originX}" y1="${originY}" x2="${originX}" y2="${originY - plotHeight}" stroke="#333"/>`,
    );
    for (let tick = 0; tick <= 4; tick += 1) {
      const lag = (maxLag * tick) / 4;
      parts.push(
        `<line x1="${originX}" y1="${fixed(y(lag))}" x2="${originX + plotWidth}" y2="${fixed(y(lag))}" stroke="#e5e7eb"/>`,
        `<text x="${originX - 6}" y="${fixed(y(lag) + 4)}" text-anchor="end">${Math.round(lag)}</text>`,
      );
    }
    for (const tokens of unique(rows.map((row) => row.answerTokens))) {
      parts.push(`<text x="${fixed(x(tokens))}" y="${originY + 16}" text-anchor="middle">${tokens}</text>`);
    }
    parts.push(
      `<text x="${originX + plotWidth / 2}" y="${originY + 34}" text-anchor="middle">answer tokens</text>`,
      `<text transform="translate(${originX - 42} ${originY - plotHeight / 2}) rotate(-90)" text-anchor="middle">end lag (ms)</text>`,
    );
    for (const publisher of ['naive', 'publisher'] as const) {
      latencies.forEach((latency, index) => {
        const series = rows
          .filter((row) => row.tokensPerSecond === rate && row.postLatencyMs === latency)
          .sort((a, b) => a.answerTokens - b.answerTokens)
          .map((row) => [x(row.answerTokens), y(row[publisher].endLagMs)] as const);
        if (series.length === 0) return;
        const points = series.map(([px, py]) => `${fixed(px)},${fixed(py)}`).join(' ');
        parts.push(
          `<polyline points="${points}" fill="none" stroke="${COLOURS[publisher]}" stroke-width="2" stroke-dasharray="${DASHES[index % DASHES.length]}"/>`,
          ...series.map(
            ([px, py]) => `<circle cx="${fixed(px)}" cy="${fixed(py)}" r="3" fill="${COLOURS[publisher]}"/>`,
          ),
        );
      });
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
