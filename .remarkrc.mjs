// `npm run check:links` (in `npm run check`): every relative link of the repository's Markdown (the
// README, docs/, bench/README.md) reaches a file or folder of the repository, and a heading where it
// names one (GitHub's slugs).
import remarkValidateLinks from 'remark-validate-links';
import remarkLinksInside from './scripts/remark-links-inside.mjs';

export default {
  // No hosted repository to check full URLs against: the root is the folder remark runs in.
  plugins: [[remarkValidateLinks, { repository: false }], remarkLinksInside],
};
