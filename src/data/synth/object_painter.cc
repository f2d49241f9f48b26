// Rasterises objects into dye planes. Each shape has a signed distance d (pixels, negative
// inside); coverage = clamp(0.5 - d, 0, 1) is the analytic anti-aliasing of a pixel-wide edge,
// cheaper than supersampling and exact for straight edges. Inside, a profile thickens the dye
// towards the centre (a sphere or cylinder is thicker in the middle).
#include <algorithm>
#include <array>
#include <cmath>

#include "data/synth/dye_planes.h"
#include "data/synth/synth_random.h"

namespace gramlite::data::synth::internal {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Outline roughness: r(theta) = 1 + irregularity * h(theta), h in [-1, 1], from 4 harmonics.
struct Outline {
  std::array<float, 4> amplitude{}, phase{};
  float irregularity = 0;
  explicit Outline(const RenderedObject& o) : irregularity(o.irregularity) {
    if (irregularity <= 0) return;
    CellRng rng(hash_of(o.shape_seed, 0x0071ull));
    float sum = 0;
    for (int k = 0; k < 4; ++k) {
      amplitude[k] = static_cast<float>(rng.uniform(0.2, 1.0) / (k + 1));
      phase[k] = static_cast<float>(rng.uniform(0, 2 * kPi));
      sum += amplitude[k];
    }
    for (float& a : amplitude) a /= sum;
  }
  float radius(float theta) const {
    if (irregularity <= 0) return 1.0f;
    float h = 0;
    for (int k = 0; k < 4; ++k) h += amplitude[k] * std::cos(static_cast<float>(k + 2) * theta + phase[k]);
    return 1.0f + irregularity * h;
  }
};

float coverage(float signed_distance_px) { return std::clamp(0.5f - signed_distance_px, 0.0f, 1.0f); }

// Visits the pixels of the object's bounding box inside the planes with the pixel centre in the
// object's frame (u along the long axis, v across), in pixels.
template <typename Fn>
void for_each_pixel(const RenderedObject& o, DyePlanes& planes, Fn&& fn) {
  const double mpp = planes.microns_per_pixel;
  const double cx = o.x_um / mpp, cy = o.y_um / mpp, r = o.bounding_radius_um / mpp;
  const int64_t gx0 = std::max<int64_t>(planes.x0, static_cast<int64_t>(std::floor(cx - r)));
  const int64_t gx1 = std::min<int64_t>(planes.x0 + planes.width - 1, static_cast<int64_t>(std::ceil(cx + r)));
  const int64_t gy0 = std::max<int64_t>(planes.y0, static_cast<int64_t>(std::floor(cy - r)));
  const int64_t gy1 = std::min<int64_t>(planes.y0 + planes.height - 1, static_cast<int64_t>(std::ceil(cy + r)));
  const float ca = static_cast<float>(std::cos(o.angle_rad)), sa = static_cast<float>(std::sin(o.angle_rad));
  for (int64_t gy = gy0; gy <= gy1; ++gy) {
    const auto py = static_cast<float>(static_cast<double>(gy) + 0.5 - cy);
    for (int64_t gx = gx0; gx <= gx1; ++gx) {
      const auto px = static_cast<float>(static_cast<double>(gx) + 0.5 - cx);
      const size_t k = static_cast<size_t>(gy - planes.y0) * planes.width + static_cast<size_t>(gx - planes.x0);
      fn(k, px * ca + py * sa, -px * sa + py * ca, gx, gy);
    }
  }
}

// Irregular ellipse with semi-axes a, b (pixels): signed distance along the ray from the centre,
// and depth in [0, 1] (1 at the centre, 0 at the outline).
struct EllipseHit {
  float distance, depth;
};
EllipseHit ellipse(const Outline& outline, float u, float v, float a, float b) {
  const float nu = u / a, nv = v / b;
  const float rho = std::sqrt(nu * nu + nv * nv);
  const float rb = outline.irregularity > 0 ? outline.radius(std::atan2(nv, nu)) : 1.0f;
  const float dist = std::sqrt(u * u + v * v);
  const float signed_distance = rho > 1e-6f ? dist * (1.0f - rb / rho) : -std::min(a, b);
  const float t = rho / rb;
  return {signed_distance, std::max(0.0f, 1.0f - t * t)};
}

// Capsule (segment of half-length h along u, radius r), pixels.
EllipseHit capsule(float u, float v, float h, float r) {
  const float du = std::max(0.0f, std::fabs(u) - h);
  const float dist = std::sqrt(du * du + v * v);
  const float t = dist / r;
  return {dist - r, std::max(0.0f, 1.0f - t * t)};
}

void add(DyePlanes& planes, size_t k, const RenderedObject& o, float amount) {
  planes.crystal_violet[k] += o.crystal_violet * amount;
  planes.safranin[k] += o.safranin * amount;
  planes.neutral[k] += o.neutral * amount;
}

void paint_neutrophil(const RenderedObject& o, DyePlanes& planes) {
  const float mpp = static_cast<float>(planes.microns_per_pixel);
  const Outline outline(o);
  const float a = static_cast<float>(o.length_um / 2) / mpp, b = static_cast<float>(o.width_um / 2) / mpp;
  // 2-5 nuclear lobes on an arc, joined by thin chromatin strands (the "segmented" nucleus).
  CellRng rng(hash_of(o.shape_seed, 0x10BEull));
  const int lobes = rng.chance(0.15) ? 2 : (rng.chance(0.2) ? 5 : rng.uniform_int(3, 4));
  const float arc = static_cast<float>(rng.uniform(0.2, 0.4)) * a;
  const float start = static_cast<float>(rng.uniform(0, 2 * kPi)), step = static_cast<float>(rng.uniform(0.7, 1.2));
  std::array<float, 5> lu{}, lv{}, lr{};
  for (int i = 0; i < lobes; ++i) {
    const float angle = start + step * static_cast<float>(i);
    lu[i] = arc * std::cos(angle);
    lv[i] = arc * std::sin(angle);
    lr[i] = static_cast<float>(rng.uniform(1.0, 1.5)) / mpp;
  }
  const float strand = 0.15f / mpp;
  const uint64_t granules = hash_of(o.shape_seed, 0x6A4ull);
  const float cytoplasm_saf = 0.2f * o.safranin, cytoplasm_neutral = 0.05f;
  for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t gx, int64_t gy) {
    const EllipseHit body = ellipse(outline, u, v, a, b);
    const float body_cov = coverage(body.distance);
    if (body_cov <= 0) return;
    // Fine cytoplasmic granules: noise at ~0.3 um in global coordinates.
    const float grain = value_noise(granules, static_cast<double>(gx) * mpp / 0.3, static_cast<double>(gy) * mpp / 0.3);
    planes.safranin[k] += body_cov * cytoplasm_saf * (0.7f + 0.6f * grain);
    planes.neutral[k] += body_cov * cytoplasm_neutral;
    float nucleus = 0;
    for (int i = 0; i < lobes; ++i) {
      const float du = u - lu[i], dv = v - lv[i];
      const float d = std::sqrt(du * du + dv * dv);
      const float t = d / lr[i];
      nucleus = std::max(nucleus, coverage(d - lr[i]) * (0.75f + 0.25f * std::sqrt(std::max(0.0f, 1 - t * t))));
      if (i + 1 < lobes) {
        // Distance to the segment joining lobe i and i + 1.
        const float sx = lu[i + 1] - lu[i], sy = lv[i + 1] - lv[i];
        const float len2 = sx * sx + sy * sy;
        const float s = len2 > 0 ? std::clamp((du * sx + dv * sy) / len2, 0.0f, 1.0f) : 0.0f;
        const float ex = du - s * sx, ey = dv - s * sy;
        nucleus = std::max(nucleus, 0.7f * coverage(std::sqrt(ex * ex + ey * ey) - strand));
      }
    }
    if (nucleus > 0) {
      const float chromatin = 0.8f + 0.4f * grain;
      planes.safranin[k] += nucleus * chromatin * o.safranin;
      planes.crystal_violet[k] += nucleus * chromatin * o.crystal_violet;
    }
  });
}

}  // namespace

void paint_object(const RenderedObject& o, DyePlanes& planes) {
  const float mpp = static_cast<float>(planes.microns_per_pixel);
  const float a = static_cast<float>(o.length_um / 2) / mpp, b = static_cast<float>(o.width_um / 2) / mpp;
  switch (o.kind) {
    case ObjectKind::kCoccus: {
      const Outline outline(o);
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t, int64_t) {
        const EllipseHit hit = ellipse(outline, u, v, a, b);
        const float cov = coverage(hit.distance);
        if (cov > 0) add(planes, k, o, cov * (0.7f + 0.3f * std::sqrt(hit.depth)));
      });
      break;
    }
    case ObjectKind::kRod: {
      const float h = std::max(0.0f, a - b);
      // About 40 % of rods stain bipolar (denser poles, paler middle), as many enterobacteria do.
      const float pallor = (o.shape_seed >> 61) < 3 ? 0.35f * unit_float(hash_of(o.shape_seed, 0xB1ull)) : 0.0f;
      const float middle = std::max(h * 0.6f, 1.0f);
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t, int64_t) {
        const EllipseHit hit = capsule(u, v, h, b);
        const float cov = coverage(hit.distance);
        if (cov <= 0) return;
        const float t = u / middle;
        add(planes, k, o, cov * (0.7f + 0.3f * std::sqrt(hit.depth)) * (1.0f - pallor * std::exp(-t * t)));
      });
      break;
    }
    case ObjectKind::kPrecipitate: {
      const Outline outline(o);
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t, int64_t) {
        const EllipseHit hit = ellipse(outline, u, v, a, b);
        const float cov = coverage(hit.distance);
        if (cov > 0) add(planes, k, o, cov * (0.85f + 0.15f * std::sqrt(hit.depth)));
      });
      break;
    }
    case ObjectKind::kRedCellGhost: {
      const Outline outline(o);
      const float rim_width = 0.4f / mpp;
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t, int64_t) {
        const EllipseHit hit = ellipse(outline, u, v, a, b);
        const float cov = coverage(hit.distance);
        if (cov <= 0) return;
        const float rim = hit.distance / rim_width;
        // Pale interior with central pallor, a denser rim where the membrane folds.
        add(planes, k, o, cov * (0.4f + 0.3f * (1.0f - hit.depth) + 1.2f * std::exp(-rim * rim)));
      });
      break;
    }
    case ObjectKind::kNeutrophil: paint_neutrophil(o, planes); break;
    case ObjectKind::kDebris: {
      const Outline outline(o);
      const uint64_t texture = hash_of(o.shape_seed, 0x7E47ull);
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t gx, int64_t gy) {
        const EllipseHit hit = ellipse(outline, u, v, a, b);
        const float cov = coverage(hit.distance);
        if (cov <= 0) return;
        const float grain =
            value_noise(texture, static_cast<double>(gx) * mpp / 0.4, static_cast<double>(gy) * mpp / 0.4);
        add(planes, k, o, cov * (0.4f + 0.4f * std::sqrt(hit.depth) + 0.4f * grain));
      });
      break;
    }
    case ObjectKind::kMucusStrand: {
      const float h = std::max(0.0f, a - b);
      const uint64_t texture = hash_of(o.shape_seed, 0x57Aull);
      for_each_pixel(o, planes, [&](size_t k, float u, float v, int64_t, int64_t) {
        const EllipseHit hit = capsule(u, v, h, b);
        const float cov = coverage(hit.distance);
        if (cov <= 0) return;
        const float beads = value_noise(texture, static_cast<double>(u) * mpp / 0.8, 0.5);  // uneven along the fibre
        add(planes, k, o, cov * (0.4f + 0.8f * beads));
      });
      break;
    }
  }
}

}  // namespace gramlite::data::synth::internal
