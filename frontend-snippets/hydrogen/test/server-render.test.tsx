// @vitest-environment node
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { renderToHtml } from '../../test-support/render';
import { ranking } from '../../test-support/ranking';
import { AffinityRecommendations } from '../index';

describe('<AffinityRecommendations> on the server', () => {
  it('streams deferred recommendations in as product links', async () => {
    const html = await renderToHtml(
      <MemoryRouter>
        <AffinityRecommendations recommendations={Promise.resolve(ranking)} heading="For you" />
      </MemoryRouter>,
    );
    expect(html).toContain('For you');
    expect(html).toContain('href="/products/heart-holder"');
    expect(html).toContain('Heart Holder');
    expect(html).toContain('£2.55');
    expect(html).toContain('Because you viewed the Lantern');
  });
});
