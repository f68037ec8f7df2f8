// Polls /color and shows the share of each colour received, like rollouts-demo's page.
const counts = new Map();
let errors = 0;
const summary = document.getElementById('summary');
const bars = document.getElementById('bars');
const log = document.getElementById('log');

function render() {
  const total = [...counts.values()].reduce((a, b) => a + b, 0) + errors;
  summary.textContent = `${total} requests, ${errors} errors`;
  bars.replaceChildren(
    ...[...counts.entries()].map(([colour, n]) => {
      const bar = document.createElement('div');
      bar.dataset.colour = colour;
      bar.style.background = colour;
      bar.style.width = `${Math.round((100 * n) / total)}%`;
      bar.style.height = '24px';
      bar.textContent = `${colour}: ${n}`;
      return bar;
    }),
  );
}

async function poll() {
  try {
    const response = await fetch('/color', { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    const colour = await response.json();
    counts.set(colour, (counts.get(colour) ?? 0) + 1);
    const item = document.createElement('li');
    item.textContent = colour;
    log.prepend(item);
    while (log.children.length > 20) log.lastChild.remove();
  } catch {
    errors++;
  }
  render();
}

setInterval(poll, 100);
