// Draws the console's charts with the bundled Chart.js, from the JSON each page carries in
// a <script type="application/json" data-kind> element (data, never code: the page's
// content policy runs the console's own files only). Runs on load and on every htmx swap.
(function () {
  'use strict';
  const COLOURS = ['#1f4e9c', '#a34a00', '#166534', '#6b21a8'];
  const UNITS = { ratio: '%', money: 'revenue', ms: 'ms', count: 'visitors' };

  /** @param {string} unit @param {number | null} value */
  function shown(unit, value) {
    if (value === null || value === undefined) return null;
    return unit === 'ratio' ? value * 100 : value;
  }

  function lineCharts(data) {
    for (const spec of data.charts) {
      const canvas = document.getElementById('chart-' + spec.id);
      if (!canvas || window.Chart.getChart(canvas)) continue;
      new window.Chart(canvas, {
        type: 'line',
        data: {
          labels: data.labels,
          datasets: spec.series.map((series, i) => ({
            label: series.label,
            data: series.values.map((v) => shown(spec.unit, v)),
            borderColor: COLOURS[i % COLOURS.length],
            backgroundColor: COLOURS[i % COLOURS.length],
            borderDash: i === 0 ? [] : [6, 4],
            pointRadius: 2,
            spanGaps: true,
          })),
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, title: { display: true, text: UNITS[spec.unit] || '' } } },
          plugins: { legend: { position: 'bottom', labels: { usePointStyle: true } } },
        },
      });
    }
  }

  function intervalChart(data) {
    const canvas = document.getElementById('chart-lifts');
    if (!canvas || window.Chart.getChart(canvas)) return;
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: 'bar', label: '95 % interval (%)', data: data.intervals, backgroundColor: 'rgba(31, 78, 156, 0.35)', borderColor: COLOURS[0], borderWidth: 1 },
          { type: 'line', label: 'Estimate (%)', data: data.estimates, showLine: false, pointStyle: 'crossRot', pointRadius: 7, borderColor: COLOURS[1], borderWidth: 2 },
        ],
      },
      options: {
        indexAxis: 'y',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { title: { display: true, text: 'lift against the control (%)' } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }

  /** @param {ParentNode} root */
  function draw(root) {
    if (!window.Chart) return;
    for (const element of root.querySelectorAll('script[type="application/json"][data-kind]')) {
      const data = JSON.parse(element.textContent || '{}');
      if (element.dataset.kind === 'series') lineCharts(data);
      else if (element.dataset.kind === 'intervals') intervalChart(data);
    }
  }

  document.addEventListener('DOMContentLoaded', () => draw(document));
  document.addEventListener('htmx:afterSettle', (event) => draw(/** @type {any} */ (event).target.ownerDocument || document));
})();
