/**
 * The carousel's look. Everything a shop may want to change is a custom property
 * (`--affinity-*`, set on the element or any ancestor) or reachable through `::part()`.
 * The host has a fixed height, so swapping the skeleton for cards never moves the page.
 */
export const STYLES = `
:host{display:block;contain:layout;height:var(--affinity-height,22rem);font:var(--affinity-font,inherit);color:var(--affinity-color,inherit);
--_gap:var(--affinity-gap,1rem);--_radius:var(--affinity-radius,.5rem);--_muted:var(--affinity-muted-color,#5b6270);
--_card:var(--affinity-card-background,#fff);--_border:var(--affinity-card-border,1px solid #e3e5e8);
--_skeleton:var(--affinity-skeleton-color,#eceef1);--_focus:var(--affinity-focus-ring,2px solid #2563eb)}
:host([hidden]){display:none!important}
*{box-sizing:border-box}
section{display:flex;flex-direction:column;gap:.75rem;height:100%}
.header{display:flex;flex:none;align-items:center;justify-content:space-between;gap:1rem;height:2rem}
h2{margin:0;overflow:hidden;font-size:var(--affinity-heading-size,1.125rem);font-weight:600;line-height:2rem;white-space:nowrap;text-overflow:ellipsis}
button{font:inherit;color:inherit;cursor:pointer}
.nav{display:flex;gap:.375rem}
.nav button{width:2rem;height:2rem;padding:0;border:var(--_border);border-radius:50%;background:var(--_card);line-height:1}
.nav button:disabled{opacity:.35;cursor:default}
.track{display:flex;flex:1;gap:var(--_gap);min-height:0;margin:0;padding:2px;list-style:none;overflow-x:auto;overflow-y:hidden;
scroll-snap-type:x mandatory;overscroll-behavior-x:contain;scrollbar-width:thin}
.card{position:relative;display:flex;flex:none;flex-direction:column;width:var(--affinity-card-width,11rem);height:100%;overflow:hidden;
scroll-snap-align:start;background:var(--_card);border:var(--_border);border-radius:var(--_radius)}
.link{display:flex;flex:1;flex-direction:column;min-height:0;color:inherit;text-decoration:none}
.media{flex:1;min-height:0;background:var(--_skeleton)}
img{display:block;width:100%;height:100%;object-fit:cover}
.title{display:-webkit-box;height:2.5em;margin:.5rem .75rem 0;overflow:hidden;font-size:.875rem;line-height:1.25;-webkit-line-clamp:2;-webkit-box-orient:vertical}
.price{height:1.5rem;margin:0 .75rem;color:var(--affinity-accent-color,inherit);font-size:.875rem;font-weight:600;line-height:1.5rem}
.actions{display:flex;flex:none;align-items:center;justify-content:space-between;height:2rem;padding:0 .5rem .25rem}
.actions button{padding:.25rem;border:0;background:none;color:var(--_muted);font-size:.75rem;text-decoration:underline;white-space:nowrap}
.add{flex:none;height:2rem;margin:.375rem .5rem 0;padding:0 .5rem;border:0;border-radius:var(--_radius);
background:var(--affinity-button-background,#1f2937);color:var(--affinity-button-color,#fff);font-size:.8125rem;font-weight:600}
.add:disabled{opacity:.6;cursor:progress}
.reasons{position:absolute;inset:0 0 2rem;padding:.75rem;overflow:auto;background:var(--_card);font-size:.8125rem}
.reasons[hidden]{display:none}
.reasons p{margin:0;font-weight:600}
.reasons ul{margin:.5rem 0 0;padding-left:1.1rem}
a:focus-visible,button:focus-visible{outline:var(--_focus);outline-offset:2px}
.link:focus-visible{outline-offset:-3px}
.skeleton .title,.skeleton .price{background:var(--_skeleton);border-radius:.25rem}
.skeleton .price{width:40%;height:1rem;margin-top:.25rem}
@media (prefers-reduced-motion:no-preference){.track{scroll-behavior:smooth}.skeleton{animation:pulse 1.4s ease-in-out infinite}}
@keyframes pulse{50%{opacity:.55}}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
`;
