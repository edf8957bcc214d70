# Reference numbers for tests/analytics/impact/test_impact_reference.py.
#
# Generates a small unbalanced school x year panel (did_panel.csv: 14 schools, 2016-2021,
# engagement starting in 2019 for 3 schools and in 2020 for 2, 9 never engaged, 3 school-years
# missing), builds the stacked difference-in-differences design independently of the Python
# code (one stack per start year: its engaged schools + every never-engaged school), fits it by
# lm() with explicit school-by-stack and year-by-stack dummies, and writes the coefficients and
# cluster-robust (by school) covariances from sandwich::vcovCL to did_reference.json.
#
# CR1 conventions written out:
#   full   = vcovCL(type = "HC1", cadjust = TRUE): G/(G-1) * (N-1)/(N-K), K = lm rank
#   nested = vcovCL(type = "HC0", cadjust = TRUE) * (N-1)/(N-K_nested),
#            K_nested = K - (school-by-stack levels) + (number of stacks)
#
# Run from this directory:   Rscript did_reference.R
# Needs: r-cran-sandwich (3.0-2), r-cran-jsonlite (Debian 12 packages), R 4.2.
suppressPackageStartupMessages({
  library(sandwich)
  library(jsonlite)
})

set.seed(20240607)
schools <- sprintf("25%04d", 1:14)
years <- 2016:2021
start <- c(2019, 2019, 2019, 2020, 2020, rep(NA, 9))
d <- expand.grid(year = years, i = seq_along(schools))
d$school <- schools[d$i]
d$start <- start[d$i]
a <- rnorm(14, 50, 6)
l <- rnorm(6, 0, 1.5)
d$y <- round(a[d$i] + l[d$year - 2015] + rnorm(nrow(d), 0, 2) +
  ifelse(!is.na(d$start) & d$year >= d$start, 3 + 0.8 * (d$year - d$start), 0), 2)
# an unbalanced panel: three school-years missing
d <- d[!((d$school == "250007" & d$year == 2017) | (d$school == "250002" & d$year == 2021) |
  (d$school == "250012" & d$year == 2020)), c("school", "year", "start", "y")]
write.csv(d, "did_panel.csv", row.names = FALSE, na = "")

d <- read.csv("did_panel.csv", colClasses = c(school = "character"))
cohorts <- sort(unique(na.omit(d$start)))
stk <- do.call(rbind, lapply(cohorts, function(s) {
  x <- d[is.na(d$start) | d$start == s, ]
  x$stack <- s
  x$treated <- !is.na(x$start)
  x$rel <- x$year - s
  x
}))
# every school has data before and after each start year in this panel
chk <- aggregate(rel ~ stack + school, stk, function(r) any(r < 0) && any(r >= 0))
stopifnot(all(chk$rel))
stk$ss <- factor(paste(stk$stack, stk$school))
stk$sy <- factor(paste(stk$stack, stk$year))
# year-by-stack dummies without the first year of each stack (not aliased with ss)
first <- tapply(stk$year, stk$stack, min)
SY <- model.matrix(~ 0 + sy, stk)
SY <- SY[, !colnames(SY) %in% paste0("sy", names(first), " ", first), drop = FALSE]
G <- length(unique(stk$school))
n_stacks <- length(cohorts)

fit_cr <- function(X) {
  f <- lm(stk$y ~ 0 + X + stk$ss + SY)
  stopifnot(!anyNA(coef(f)))
  N <- nobs(f)
  K <- f$rank
  K_nested <- K - nlevels(stk$ss) + n_stacks
  keep <- seq_len(ncol(X))
  V_full <- vcovCL(f, cluster = stk$school, type = "HC1", cadjust = TRUE)[keep, keep, drop = FALSE]
  V0 <- vcovCL(f, cluster = stk$school, type = "HC0", cadjust = TRUE)[keep, keep, drop = FALSE]
  list(
    terms = colnames(X), coef = unname(coef(f)[keep]), N = N, K_full = K,
    K_nested = K_nested, G = G,
    vcov_full = unname(V_full), vcov_nested = unname(V0 * (N - 1) / (N - K_nested))
  )
}

# 1. difference in differences, one column per cohort; overall = weighted by engaged schools
D <- sapply(cohorts, function(s) as.numeric(stk$treated & stk$rel >= 0 & stk$stack == s))
colnames(D) <- paste0("D", cohorts)
did <- fit_cr(D)
n_t <- sapply(cohorts, function(s) length(unique(d$school[!is.na(d$start) & d$start == s])))
w <- n_t / sum(n_t)
did$weights <- w
did$estimate <- sum(w * did$coef)
did$se_nested <- sqrt(drop(t(w) %*% did$vcov_nested %*% w))
did$se_full <- sqrt(drop(t(w) %*% did$vcov_full %*% w))
tcrit <- qt(0.975, G - 1)
did$ci_nested <- did$estimate + c(-1, 1) * tcrit * did$se_nested
did$p_nested <- 2 * pt(-abs(did$estimate / did$se_nested), G - 1)

# 2. event study: relative years of engaged schools, reference -1; Wald F on the leads
rels <- sort(unique(stk$rel[stk$treated]))
rels <- rels[rels != -1]
E <- sapply(rels, function(r) as.numeric(stk$treated & stk$rel == r))
colnames(E) <- paste0("rel", rels)
es <- fit_cr(E)
es$relative_years <- rels
lead <- which(rels < -1)
b <- es$coef[lead]
q <- length(lead)
es$wald_F_nested <- drop(t(b) %*% solve(es$vcov_nested[lead, lead], b)) / q
es$wald_p_nested <- pf(es$wald_F_nested, q, G - 1, lower.tail = FALSE)
es$wald_df <- c(q, G - 1)

# 3. comparative interrupted time series: trend difference, level change, slope change
C <- cbind(
  trend = stk$treated * stk$rel,
  level = as.numeric(stk$treated & stk$rel >= 0),
  slope = stk$treated * (stk$rel >= 0) * stk$rel
)
cits <- fit_cr(C)

out <- list(
  generated_by = "tests/analytics/impact/reference/did_reference.R",
  r_version = R.version.string,
  sandwich_version = as.character(packageVersion("sandwich")),
  n_rows_stacked = nrow(stk),
  did = did, event_study = es, cits = cits
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "did_reference.json")
cat("estimate", did$estimate, "se (nested)", did$se_nested, "se (full)", did$se_full, "\n")
