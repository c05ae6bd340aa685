"""What a reader would see as broken, read from the rendered page: text cut or spilled out of its box, texts on
top of each other, and (in projector mode) text too small for the back of the room.

One script, run in the page (`problems(page)`), measures bounding boxes from the DOM and from every plotly chart's
SVG: titles (`.gtitle`), legends (`.legend .bg`), tick labels, axis titles, annotations (subplot titles and
notes), bar and scatter texts, and the labels of diagram boxes (annotations named "box", deeplab_core.figures.
style.box) against the rectangle they label. Each problem is a short line a failing test prints.
"""

from __future__ import annotations

PROBE = r"""
([minText, wideTables]) => {
  const out = [];
  const R = e => e.getBoundingClientRect();
  const txt = e => (e.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 48);
  const sized = r => r.width > 0.5 && r.height > 0.5;
  const cross = (a, b, tol) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tol
                             && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tol;
  const inside = (a, b, tol) => a.left >= b.left - tol && a.right <= b.right + tol
                             && a.top >= b.top - tol && a.bottom <= b.bottom + tol;
  const shown = e => { const s = getComputedStyle(e); return s.visibility !== 'hidden' && s.display !== 'none'
                                                          && parseFloat(s.opacity || '1') > 0; };
  const viewWidth = document.documentElement.clientWidth;
  document.querySelectorAll('[data-testid=stMain] .js-plotly-plot').forEach((gd, n) => {
    if (!gd._fullLayout || !shown(gd)) return;
    const frame = R(gd);
    if (!sized(frame)) return;
    const title = (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '';
    const chart = `chart ${n}` + (typeof title === 'string' && title ? ` "${title.slice(0, 40)}"` : '');
    const items = [];
    const add = (kind, el, box) => {
      const r = box || R(el);
      if (sized(r) && txt(el) !== '') items.push({kind, el, r, label: txt(el)});
    };
    gd.querySelectorAll('.gtitle').forEach(e => add('title', e));
    gd.querySelectorAll('.xtick text, .ytick text, [class*="xtick"] text, [class*="ytick"] text')
      .forEach(e => add('tick', e));
    gd.querySelectorAll('text.xtitle, text.ytitle, text[class^="x"][class$="title"], text[class^="y"][class$="title"]')
      .forEach(e => add('axis title', e));
    const notes = gd.layout.annotations || [];
    gd.querySelectorAll('g.annotation').forEach(g => {
      const t = g.querySelector('.annotation-text');
      const note = notes[Number(g.getAttribute('data-index'))] || {};
      const banner = note.bgcolor && note.bgcolor !== 'rgba(0,0,0,0)';  // a note drawn on purpose over a picture
      if (t) add(banner ? 'banner' : 'annotation', t);
    });
    gd.querySelectorAll('.bartext, .textpoint text, .legendtext, .colorbar text, .slider-container text')
      .forEach(e => add(e.classList.contains('legendtext') ? 'legend' : 'text', e));
    const unique = [...new Map(items.map(i => [i.el, i])).values()];
    for (const i of unique) {  // cut: outside the chart, or off the screen
      if (!inside(i.r, frame, 1.5)) out.push(`${chart}: ${i.kind} "${i.label}" is cut by the chart's edge`);
      else if (i.r.right > viewWidth + 1 || i.r.left < -1) out.push(`${chart}: ${i.kind} "${i.label}" is off screen`);
    }
    for (let a = 0; a < unique.length; a++) for (let b = a + 1; b < unique.length; b++) {
      const p = unique[a], q = unique[b];
      if (p.kind === 'legend' && q.kind === 'legend') continue;  // legend entries are laid out by plotly
      const apart = p.kind === 'text' && q.kind === 'text' ? -2 : 1.5;  // values on bars: touching reads as one
      if (cross(p.r, q.r, apart)) out.push(`${chart}: ${p.kind} "${p.label}" overlaps ${q.kind} "${q.label}"`);
    }
    const plotArea = el => {  // a picture is clipped to its subplot: only that part of it can hide a label
      const group = el.closest('g.overplot > g, g.subplot');
      const id = group ? [...group.classList].find(c => /^x\d*y\d*$/.test(c)) : null;
      const [, x, y] = id ? id.match(/^x(\d*)y(\d*)$/) : [null, '', ''];
      const xa = gd._fullLayout['xaxis' + x], ya = gd._fullLayout['yaxis' + y];
      if (!xa || !ya) return R(el);
      const r = R(el), left = Math.max(r.left, frame.left + xa._offset), top = Math.max(r.top, frame.top + ya._offset);
      const right = Math.min(r.right, frame.left + xa._offset + xa._length);
      const bottom = Math.min(r.bottom, frame.top + ya._offset + ya._length);
      return {left, top, right, bottom, width: right - left, height: bottom - top};
    };
    const pictures = [...gd.querySelectorAll('.imagelayer image, .hm image')].map(plotArea).filter(sized);
    for (const i of unique) if (['title', 'annotation'].includes(i.kind))
      if (pictures.some(p => cross(p, i.r, 2))) out.push(`${chart}: ${i.kind} "${i.label}" lies on a picture`);
    const legend = gd.querySelector('.legend .bg');
    if (legend && sized(R(legend))) {
      const lr = R(legend);
      for (const i of unique) if (i.kind !== 'legend' && !i.el.closest('.legend') && cross(lr, i.r, 2))
        out.push(`${chart}: the legend covers ${i.kind} "${i.label}"`);
    }
    const shapes = gd.layout.shapes || [];
    notes.forEach((note, k) => {  // a diagram box's label inside its rectangle
      if (note.name !== 'box') return;
      const s = shapes.findIndex(sh => sh.type === 'rect' && Math.abs((sh.x0 + sh.x1) / 2 - note.x) < 1e-6
                                  && Math.abs((sh.y0 + sh.y1) / 2 - note.y) < 1e-6);
      const label = gd.querySelector(`g.annotation[data-index="${k}"] .annotation-text`);
      const rect = [...gd.querySelectorAll('.shapelayer path')].find(p => p.getAttribute('data-index') === String(s));
      if (s < 0 || !label || !rect) return;
      if (!inside(R(label), R(rect), 1)) out.push(`${chart}: box label "${txt(label)}" spills out of its box`);
    });
  });
  const main = document.querySelector('[data-testid=stMain]');
  if (main && main.scrollWidth > main.clientWidth + 1) out.push(`the page scrolls sideways (${main.scrollWidth} px)`);
  main && main.querySelectorAll('*').forEach(e => {  // text cut by an ellipsis or a hidden overflow
    if (e.closest('.js-plotly-plot, [data-testid=stCode], pre, .katex, .katex-display'))
      return;
    const s = getComputedStyle(e);
    const clips = s.textOverflow === 'ellipsis' || s.overflowX === 'hidden' || s.overflowX === 'clip'
                  || (s.overflowX === 'auto' && e.closest('[data-testid=stMultiSelect]'));  // chosen options fade out
    if (clips && e.scrollWidth > e.clientWidth + 1 && txt(e) && shown(e) && sized(R(e)))
      out.push(`text "${txt(e)}" is cut (${e.scrollWidth} > ${e.clientWidth} px)`);
  });
  if (!wideTables) main && main.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller, [data-testid=stTable] > div')
    .forEach(e => {
    const head = txt(e.querySelector('th, [role=columnheader]') || e);
    if (e.scrollWidth > e.clientWidth + 1) out.push(`a table's columns are hidden off its right edge ("${head}")`);
  });
  if (minText) main && main.querySelectorAll('p, li, span, label, div, td, th, small').forEach(e => {
    if (e.closest('.js-plotly-plot, [data-testid=stCode], pre, code, .katex, '
                  + '[data-baseweb=tooltip], [data-testid=stTooltipContent]')) return;
    const own = [...e.childNodes].some(c => c.nodeType === 3 && c.textContent.trim());
    if (!own || !shown(e) || !sized(R(e))) return;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < minText - 0.01) out.push(`text "${txt(e)}" is ${size} px, under ${minText} px`);
  });
  return [...new Set(out)];
}
"""


def problems(page, *, min_text: float = 0, wide_tables: bool = False) -> list[str]:
    """Every layout problem on the page as it is now drawn. `min_text`: the smallest font size allowed, in px (0:
    no check); `wide_tables`: a table may be wider than its place and scroll sideways (a data grid on a phone)."""
    return list(page.evaluate(PROBE, [min_text, wide_tables]))
