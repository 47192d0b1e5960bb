// The facility page's chart: capacity, usage and the overadvance limit over time, breach days marked in red.
// It draws the timeline the page embeds (the engine's answer); the figures themselves are the table under it.
(function () {
  const holder = document.getElementById("chart-data");
  const canvas = document.getElementById("chart");
  if (!holder || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(holder.textContent);
  const amount = (value) => (value === null || value === undefined ? null : Number(value));  // drawing only
  const breachDays = data.usage.map((value, i) => (data.breach[i] ? amount(value) : null));
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.dates,
      datasets: [
        { label: "capacity", data: data.capacity.map(amount), borderColor: "#0b4f8a", pointRadius: 0, stepped: true },
        { label: "usage", data: data.usage.map(amount), borderColor: "#5a3e00", pointRadius: 0, stepped: true },
        { label: "overadvance limit", data: data.overadvance_limit.map(amount), borderColor: "#6b6b6b",
          borderDash: [4, 4], pointRadius: 0, stepped: true },
        { label: "breach", data: breachDays, borderColor: "#9b1c1c", backgroundColor: "#9b1c1c", showLine: false,
          pointRadius: 4 },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
               scales: { x: { ticks: { maxTicksLimit: 8 } } } },
  });
})();
