//! Placeholder: the criterion benches arrive with the comparison-lab issue.
