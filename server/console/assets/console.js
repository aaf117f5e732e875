// 驻村核验 · review console. Draws the person-month map from /console/people/{id}/map with
// Leaflet (served by this server). With no base map configured, the layers are drawn on a
// plain background with a scale bar: the page needs no internet.
(function () {
  'use strict';

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = content;
    return el;
  }

  function visitPopup(v) {
    var box = document.createElement('div');
    box.appendChild(text('strong', v.household));
    box.appendChild(text('div', v.from + '–' + (v.to || '未签退')));
    box.appendChild(text('div', v.answer, v.counted ? 'counted' : 'not-counted'));
    v.photos.forEach(function (sha) {
      var a = document.createElement('a');
      a.href = '/console/photos/' + sha;
      a.target = '_blank';
      var img = document.createElement('img');
      img.src = '/console/photos/' + sha;
      img.className = 'thumb';
      img.alt = '走访照片';
      a.appendChild(img);
      box.appendChild(a);
    });
    return box;
  }

  function draw(el, data) {
    var map = L.map(el, { preferCanvas: true, attributionControl: data.base.tiles.length > 0 });
    data.base.tiles.forEach(function (url) {
      L.tileLayer(url, {
        subdomains: data.base.subdomains || 'abc',
        tms: data.base.tms,
        maxZoom: 18,
        attribution: data.base.attribution
      }).addTo(map);
    });
    L.control.scale({ imperial: false }).addTo(map);
    var bounds = L.latLngBounds([]);
    var around = L.latLngBounds([]);
    data.villages.forEach(function (v) {
      v.rings.forEach(function (ring) {
        var poly = L.polygon(ring, { color: '#6b4f1d', weight: 2, fill: true, fillOpacity: 0.05 });
        poly.bindTooltip(v.name);
        poly.addTo(map);
        around.extend(poly.getBounds());
      });
    });
    data.households.forEach(function (h) {
      var color = h.must_visit ? '#c0392b' : (h.paired ? '#1558b0' : '#777');
      var m = L.circleMarker(h.at, { radius: h.paired || h.must_visit ? 5 : 3, color: color, weight: 1, fillOpacity: 0.7 });
      m.bindTooltip(h.name + (h.paired ? '（结对）' : '') + (h.must_visit ? '（必访）' : ''));
      m.addTo(map);
    });
    data.tracks.forEach(function (line) {
      if (line.length < 2) return;
      var pl = L.polyline(line, { color: '#2d6cdf', weight: 3, opacity: 0.8 }).addTo(map);
      bounds.extend(pl.getBounds());
    });
    data.stays.forEach(function (s) {
      L.circleMarker(s.at, { radius: 7, color: '#2d6cdf', weight: 2, fillOpacity: 0.2 })
        .bindTooltip('停留 ' + s.village + ' ' + s.from + '–' + s.to + '（' + s.minutes + ' 分钟）')
        .addTo(map);
    });
    data.visits.forEach(function (v) {
      if (!v.at) return;
      var m = L.circleMarker(v.at, { radius: 8, color: v.counted ? '#176b2c' : '#a01b10', weight: 3, fillOpacity: 0.5 });
      m.bindPopup(visitPopup(v));
      m.addTo(map);
      bounds.extend(m.getLatLng());
    });
    data.flags.forEach(function (f) {
      var m = L.circleMarker(f.at, { radius: 10, color: '#e67e22', weight: 3, dashArray: '3', fillOpacity: 0 });
      m.bindPopup(text('div', f.kind + '：' + f.detail));
      m.addTo(map);
    });
    // The day's own track and visits first; the villages when the day has none.
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.2), { maxZoom: 17 });
    } else if (around.isValid()) {
      map.fitBounds(around.pad(0.1));
    } else {
      map.setView([32, 107.5], 12);
    }
    el.dataset.vertices = String(data.tracks.reduce(function (n, l) { return n + l.length; }, 0));
    el.dataset.ready = 'true';
  }

  var el = document.getElementById('map');
  if (el && window.L) {
    fetch(el.dataset.src, { credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) { draw(el, data); })
      .catch(function (e) {
        el.textContent = '地图数据加载失败：' + e.message + '。请刷新页面重试。';
        el.dataset.ready = 'error';
      });
  }
})();
